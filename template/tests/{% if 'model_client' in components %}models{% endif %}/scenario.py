"""The scripted server's vocabulary, in vendor-neutral terms: what the "model" answers, and what the client sent.

`ScriptedServer` (`scripted_server.py`) serves these steps; a `WireRenderer` turns them into one vendor's
bytes and reads that vendor's requests back into `SentRequest` objects. `wire_server.py` is the renderer for
the wire format of `src/.../models/_wire_format.py`: rewrite the two together, and every test that speaks only
this module's terms keeps passing unchanged.

The renderer contract (`WireRenderer` below):

- `base_path`: appended to the server's root URL to make the client's `base_url` (e.g. `"/v1"`);
- `stream_content_type`, `stream_keepalive`: the content type of a streamed reply, and bytes the server may
  send while it pauses (an SSE comment, a blank NDJSON line) so that a client that went away is noticed;
- `finish_reasons`: the AutoGen finish reasons the protocol can express;
- `read(request)`: the HTTP request as a `SentRequest`, or `None` when it is not a chat request (HTTP 404);
- `check(sent)`: an `ErrorReply` for a request the emulated server refuses, else `None`;
- `render_reply(reply, sent)`, `render_stream(reply, sent)`: a reply as a JSON body, or as stream `Frame`s;
- `render_error(error)`: an error body; `render_broken(error)`: one unreadable stream event, or (with a
  message) the protocol's report of an error mid-stream.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from tests.loopback import Request

DEFAULT_FINISH = "<default>"
"""`finish_reason` placeholder: `"function_calls"` for a reply with tool calls, else `"stop"`."""


@dataclass(frozen=True)
class ToolCall:
    """One tool call the scripted model makes."""

    name: str
    arguments: str | Mapping[str, Any] = "{}"
    """A JSON string (sent as is, even if invalid, where the protocol sends strings) or a mapping."""
    id: str | None = None
    """`None` numbers calls `call_1`, `call_2`, ... in server order; `""` sends none (the client must make one)."""

    def arguments_json(self) -> str:
        """The arguments as a JSON string, as AutoGen's `FunctionCall` carries them."""
        return self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)

    def arguments_object(self) -> Any:
        """The arguments as a JSON value, for protocols that send an object (`{}` if the string is not JSON)."""
        if not isinstance(self.arguments, str):
            return dict(self.arguments)
        try:
            return json.loads(self.arguments)
        except ValueError:
            return {}


@dataclass
class Reply:
    """A successful reply, streamed or not as the request asks."""

    text: str | None = None
    tool_calls: Sequence[ToolCall] = ()
    reasoning: str | None = None
    """Reasoning text, sent where the protocol puts it; the client reports it as `thought`."""
    finish_reason: str | None = DEFAULT_FINISH
    """The AutoGen finish reason the client should report (`stop`, `length`, `function_calls`, `content_filter`,
    `unknown`), sent in the protocol's own words; `None` sends no reason. Any other string is sent as it is."""
    usage: tuple[int, int] | None = None
    """`(prompt_tokens, completion_tokens)`, or `None` to report no usage."""
    chunk_size: int = 4
    """Streaming: characters of text (and of reasoning and tool-call arguments) per piece."""
    delay: float = 0.0
    """Seconds of silence before the response starts (a slow server)."""
    pause_after: int | None = None
    """Streaming: pause once this many pieces of the text have been sent (0: right after the headers) until
    `resume` is set. Not streamed: any value pauses after the headers."""
    resume: asyncio.Event | None = None
    """Ends a pause; `None` pauses until the client goes away."""
    heartbeat: bool = True
    """While paused, send keep-alive messages so that a client that disconnects is noticed and its connection ends;
    `False` pauses in silence (to trigger read timeouts)."""
    drop_after: int | None = None
    """Streaming: abort the connection once this many pieces of the text have been sent (a crash mid-stream)."""
    fragment_bytes: int | None = None
    """Streaming: write the body in pieces of this many bytes, splitting events anywhere (without pauses)."""
    truncated: bool = False
    """Streaming: end the body cleanly after the last piece, with no finish reason, usage or end marker."""


@dataclass
class ErrorReply:
    """An HTTP error whose body carries `message` the way the protocol reports errors (status 200 too)."""

    status: int
    message: str = "scripted failure"
    headers: Mapping[str, str] = field(default_factory=dict[str, str])


@dataclass
class RawReply:
    """Exactly these bytes: a malformed body, or a vendor-specific shape a wire test needs."""

    body: bytes
    status: int = 200
    content_type: str = "application/json"
    hold_open: bool = False
    """Send the body as a chunked stream, then keep the response open (with keep-alive messages) until the client
    leaves: shows whether a client that rejects the body also closes the connection."""


@dataclass
class BrokenStream:
    """A stream that sends one unreadable event (or, with `error`, the protocol's report of an error), then
    stays open with keep-alive messages until the client leaves."""

    error: str | None = None


@dataclass
class Disconnect:
    """Close the connection without answering."""


Step = Reply | ErrorReply | RawReply | BrokenStream | Disconnect


@dataclass(frozen=True)
class SentToolCall:
    """A tool call in an assistant message the client sent back."""

    name: str
    arguments: Any
    """The arguments as a JSON value (the raw string when it is not JSON)."""
    id: str | None = None


@dataclass(frozen=True)
class SentMessage:
    """One message of a request, in AutoGen's roles."""

    role: Literal["system", "user", "assistant", "tool"]
    text: str = ""
    """The text (for a tool message, the tool's result); several text parts are joined with newlines."""
    images: list[str] = field(default_factory=list[str])
    """Base64 data of each image."""
    tool_calls: list[SentToolCall] = field(default_factory=list[SentToolCall])
    call_id: str | None = None
    """For a tool message: the id of the call it answers."""


@dataclass(frozen=True)
class SentTool:
    """A tool offered to the model."""

    name: str
    description: str | None
    parameters: Any


@dataclass(frozen=True)
class SentRequest:
    """A chat request, read back from the wire into AutoGen's terms."""

    model: str
    messages: list[SentMessage]
    http: Request = field(compare=False, repr=False)
    """The HTTP request itself (headers, body), for what this view leaves out."""
    raw: Any = field(compare=False, repr=False)
    """The decoded body, in the vendor's format."""
    tools: list[SentTool] = field(default_factory=list[SentTool])
    tool_choice: str | None = None
    """`"auto"`, `"required"`, `"none"` or a tool's name; `None` when no tools are offered."""
    output: Literal["text", "json"] | dict[str, Any] = "text"
    """`"json"` for JSON mode, the JSON schema for structured output, else `"text"`."""
    settings: dict[str, Any] = field(default_factory=dict[str, Any])
    """Sampling settings (`temperature`, `top_p`, `stop`, `seed`) and extra request fields, by name."""
    max_output_tokens: int | None = None
    """The limit on generated tokens the server was given, whichever option set it."""
    stream: bool = False
    api_key: str | None = None


@dataclass(frozen=True)
class Frame:
    """One write of a streamed reply."""

    data: bytes
    text_pieces: int = 0
    """How many pieces of the reply's text it carries (for `pause_after` and `drop_after`)."""


class WireRenderer(Protocol):
    """Renders scripted steps in one vendor's format and reads its requests (see the module docstring)."""

    @property
    def base_path(self) -> str: ...

    @property
    def stream_content_type(self) -> str: ...

    @property
    def stream_keepalive(self) -> bytes: ...

    @property
    def finish_reasons(self) -> frozenset[str]: ...

    def read(self, request: Request) -> SentRequest | None: ...

    def check(self, sent: SentRequest) -> ErrorReply | None: ...

    def render_reply(self, reply: Reply, sent: SentRequest) -> bytes: ...

    def render_stream(self, reply: Reply, sent: SentRequest) -> list[Frame]: ...

    def render_error(self, error: ErrorReply) -> bytes: ...

    def render_broken(self, error: str | None) -> bytes: ...


def pieces(text: str | None, size: int) -> list[str]:
    """`text` cut into pieces of `size` characters, as a server streams it."""
    if not text:
        return []
    size = max(1, size)
    return [text[start : start + size] for start in range(0, len(text), size)]


def finish_reason(reply: Reply) -> str | None:
    """The reply's finish reason in AutoGen's words, with the default resolved."""
    if reply.finish_reason == DEFAULT_FINISH:
        return "function_calls" if reply.tool_calls else "stop"
    return reply.finish_reason
