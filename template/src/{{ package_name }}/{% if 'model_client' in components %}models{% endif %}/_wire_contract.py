"""The contract between the model client and its wire format (`_wire_format.py`, the module to rewrite).

The client is split in three. The wire format (`_wire_format.py`) holds everything the vendor decides. The
vendor-neutral core (`_chat_core.py`: capability checks, the request and reply cycle, streaming, usage
estimates) and the HTTP plumbing (`_transport.py`: pooling, retries, timeouts) know nothing about any vendor's
API. The framework fronts (the AutoGen client in `_chat_completion_client.py`) convert their framework's types
to and from the package's own (`_chat_types.py`) at their edge. Neither the wire format nor this contract
imports an agent framework: `tests/test_framework_free.py` proves it.

`_wire_format.py` must provide the names of `WireFormat` below, with these types (mypy and pyright check it:
the core assigns the module to a `WireFormat` variable):

- `build_request(request, *, base_url, api_key, headers)`: a `ChatRequest` -> a `WireRequest` (URL, headers
  with authentication, body);
- `parse_reply(body)`: the body of a successful non-streamed response -> a `Reply`;
- `stream_decoder()`: a fresh `StreamDecoder` for one streamed response: its framing (SSE, NDJSON, ...) and
  parsing;
- `error_message(body)`: the server's own explanation inside an HTTP error body, or `None`;
- `retry_after(headers)`: a vendor-specific retry hint in seconds (e.g. OpenAI's `retry-after-ms`), or `None`;
- `RESERVED_KEYS`: request fields `build_request` owns, which `extra_create_args` may not set;
- `TOOL_CHOICES`: the `tool_choice` kinds the API can express (`"auto"`, `"required"`, `"none"`, `"tool"`).

Rules every wire format follows:

- Raise `ValueError` from `build_request` for a request the API cannot express; the client calls it before
  anything is sent. Raise `ModelAPIResponseError` (from `_errors.py`) for a body or stream that cannot be
  read, or that reports an error; never return a half-parsed reply. The helpers at the end of this module
  (`decode_object`, `unreadable`, `cut_short`, `new_call_id`, `join_thought`) do these things the same way for
  every vendor.
- Finish reasons are `FinishReason`'s words (`stop`, `length`, `function_calls`, `content_filter`, `unknown`);
  tool calls are `ToolCall`s whose `arguments` are a JSON string and whose `id` is never empty (`new_call_id`
  makes one when the server sends none).
- A reply's `thought` is its reasoning, joined with the text it wrote beside tool calls (`join_thought`). Set
  `reasoning` too when the API tells reasoning apart: the Agent Framework front then shows it apart from the
  answer (without it, the whole `thought` of a tool-call reply counts as text).
- A reply's `response_id` and `model` (tracing and the Agent Framework front pass them on) default to the
  top-level `id` and `model` of `raw` when those are non-empty strings, as in OpenAI's and Ollama's replies;
  set them yourself when the API puts them elsewhere.
- `retry_after` only adds what plain HTTP does not say: the transport already honours the standard
  `Retry-After` header.

The tests are split the same way: `tests/models/wire_server.py` renders the scripted server's replies in the
vendor's format and reads its requests back into vendor-neutral terms, `tests/models/test_wire_format.py`
tests the wire module itself (with no agent framework), and every other test in `tests/models/` is
vendor-neutral and must pass unchanged after the three vendor modules are rewritten.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, cast

from pydantic import BaseModel

from ._chat_types import ChatMessage, FinishReason, ToolCall, ToolSpec, Usage
from ._errors import ModelAPIResponseError

ToolChoice = Literal["auto", "required", "none"] | ToolSpec
"""`"auto"`, `"required"`, `"none"`, or the schema of the one tool the model must call."""

ToolChoiceKind = Literal["auto", "required", "none", "tool"]
"""A kind of `tool_choice`: `"tool"` stands for "this one tool"."""

SAMPLING_SETTINGS = ("temperature", "top_p", "max_tokens", "max_completion_tokens", "stop", "seed")
"""The sampling settings the client takes as arguments; `ChatRequest` `options` uses these names for them."""


@dataclass(frozen=True)
class ChatRequest:
    """One chat completion call, already checked against the model's capabilities.

    Attributes:
        model: The model name.
        messages: The conversation.
        tools: Tools the model may call (empty for none).
        tool_choice: What the model may or must call; only meaningful when `tools` is not empty.
        json_output: `True` for JSON mode, a pydantic model class for structured output, else `None`/`False`.
        options: Sampling settings (the names in `SAMPLING_SETTINGS`) and other request fields from
            `extra_create_args`, merged: the config's `extra_create_args`, then the sampling arguments, then
            the call's own settings, later ones winning. Only settings that were given appear.
        stream: Whether the reply is streamed.
        merge_system_messages: Whether consecutive system messages must be sent as one, because the model
            accepts a single system message only.
    """

    model: str
    messages: Sequence[ChatMessage]
    tools: Sequence[ToolSpec]
    tool_choice: ToolChoice
    json_output: bool | type[BaseModel] | None
    options: Mapping[str, Any]
    stream: bool
    merge_system_messages: bool


@dataclass(frozen=True)
class WireRequest:
    """One HTTP request, ready to send.

    Attributes:
        url: Where to POST it.
        headers: Every header, authentication included.
        body: The request body.
        log_messages: The conversation as sent, for event logs (e.g. AutoGen's `LLMCallEvent`).
        log_tools: The tool definitions as sent, for event logs.
    """

    url: str
    headers: Mapping[str, str]
    body: bytes
    log_messages: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    log_tools: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])


@dataclass
class Reply:
    """One model reply.

    Attributes:
        content: The text, or the tool calls the model asked for.
        thought: Reasoning text and/or the text the model wrote beside its tool calls.
        finish_reason: Why the model stopped.
        usage: Token counts reported by the server, or `None` when it reported none (the client estimates them).
        raw: The decoded response (for streams, the last event), for event logs.
        reasoning: The reasoning alone (it is part of `thought` too), for fronts that show it apart from the
            answer; `None` when there was none, or when the wire format does not tell it apart.
        response_id: The server's id for this reply (e.g. `chatcmpl-...`), or `None` when it sends none. Left
            `None`, it is `raw["id"]` when that is a non-empty string.
        model: The model that answered, as the server names it (it may differ from the one asked for), or
            `None` when the server does not say. Left `None`, it is `raw["model"]` when that is a non-empty
            string.
    """

    content: str | list[ToolCall]
    thought: str | None
    finish_reason: FinishReason
    usage: Usage | None
    raw: dict[str, Any] = field(default_factory=dict[str, Any])
    reasoning: str | None = None
    response_id: str | None = None
    model: str | None = None

    def __post_init__(self) -> None:
        # Read from the decoded response when the wire format did not set them: it then needs no code for them.
        if self.response_id is None:
            self.response_id = _named(self.raw.get("id"))
        if self.model is None:
            self.model = _named(self.raw.get("model"))


def _named(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


class StreamDecoder(Protocol):
    """Turns the bytes of one streamed response into text deltas, then into the whole `Reply`."""

    def feed(self, chunk: bytes) -> list[str]:
        """Take the next bytes as they arrived (any split, even mid-event); return the text deltas they complete.

        Raises:
            ModelAPIResponseError: an event cannot be read, or the server reports an error mid-stream.
        """
        ...

    def end(self) -> list[str]:
        """The body has ended: return the text deltas of anything the server left unterminated."""
        ...

    def finish(self) -> Reply:
        """The whole reply, once the body has ended (after `end()`).

        Raises:
            ModelAPIResponseError: the stream ended before the reply was complete.
        """
        ...


class WireFormat(Protocol):
    """What `_wire_format.py` provides, as module-level names (see the module docstring above)."""

    @property
    def RESERVED_KEYS(self) -> frozenset[str]:
        """Request fields `build_request` owns: letting `extra_create_args` replace them would break parsing."""
        ...

    @property
    def TOOL_CHOICES(self) -> frozenset[ToolChoiceKind]:
        """The `tool_choice` kinds the API can express; the client refuses the others before sending."""
        ...

    def build_request(
        self, request: ChatRequest, *, base_url: str, api_key: str | None, headers: Mapping[str, str]
    ) -> WireRequest:
        """The HTTP request for one call; `headers` are the caller's extra headers.

        Raises:
            ValueError: the request cannot be expressed in this API.
        """
        ...

    def parse_reply(self, body: bytes) -> Reply:
        """A successful non-streamed response body -> `Reply`.

        Raises:
            ModelAPIResponseError: the body is not a reply, or reports an error.
        """
        ...

    def stream_decoder(self) -> StreamDecoder:
        """A new decoder for one streamed response."""
        ...

    def error_message(self, body: bytes) -> str | None:
        """The server's explanation inside an HTTP error body (short), or `None`."""
        ...

    def retry_after(self, headers: Mapping[str, str]) -> float | None:
        """Seconds the server asks to wait before a retry, from vendor-specific headers; `None` if it says nothing.

        `headers` look names up case-insensitively.
        """
        ...


def new_call_id() -> str:
    """An id for a tool call the server sent without one: agents match tool results to calls by id."""
    return f"call_{uuid.uuid4().hex[:24]}"


def decode_object(raw: bytes | str, what: str) -> dict[str, Any]:
    """`raw` decoded as a JSON object.

    Raises:
        ModelAPIResponseError: `raw` is not JSON, or not an object; the message says it was meant to be `what`.
    """
    try:
        decoded = json.loads(raw)
    except ValueError as exc:
        raise unreadable(f"{what} that is not JSON", raw) from exc
    if not isinstance(decoded, dict):
        raise unreadable(f"JSON that is not {what}", raw)
    return cast(dict[str, Any], decoded)


def unreadable(what: str, body: bytes | str) -> ModelAPIResponseError:
    """The error for a reply the client cannot use, quoting the start of it."""
    return ModelAPIResponseError(f"model server returned {what}: {body[:200]!r}")


def cut_short(detail: str) -> ModelAPIResponseError:
    """The error for a stream that ended cleanly but before the reply was complete; `detail` says what was missing."""
    return ModelAPIResponseError(f"model server ended the stream before the reply was complete ({detail})")


_THOUGHT_SEPARATOR = "\n\n"


def join_thought(*parts: str | None) -> str | None:
    """A reply's `thought`: its reasoning and the text it wrote beside tool calls, whichever are present."""
    present = [part for part in parts if part]
    return _THOUGHT_SEPARATOR.join(present) if present else None


def text_beside_calls(reply: Reply) -> str:
    """The text a tool-call reply wrote beside its calls: its `thought` without the reasoning (`join_thought`'s
    inverse). For a wire format that does not set `reasoning`, the whole `thought`."""
    thought, reasoning = reply.thought or "", reply.reasoning
    if reasoning and thought.startswith(reasoning):
        return thought[len(reasoning) :].removeprefix(_THOUGHT_SEPARATOR)
    return thought
