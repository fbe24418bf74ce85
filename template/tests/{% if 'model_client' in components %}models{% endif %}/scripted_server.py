"""A scripted OpenAI-compatible chat completions server on 127.0.0.1, for tests and offline examples.

Queue what the "model" answers, in order; the server renders each answer as a JSON completion or as a
server-sent-event stream, depending on whether the request asked for ``"stream": true``, the way OpenAI,
vLLM and llama.cpp do. Faults are scripted the same way: HTTP errors, unreadable bodies, dropped
connections, slow or stalled replies. It runs on ``tests/loopback.py``: real sockets, no network.

Example:

    .. code-block:: python

        async with ScriptedServer() as server:
            server.queue(
                Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"})]),
                Reply(text="It is sunny in Paris.", usage=(42, 7)),
            )
            client = MyClient(model="scripted", base_url=server.base_url)
            ...  # the first request gets the tool call, the second the text
            assert server.bodies[1]["messages"][-1]["role"] == "tool"

If you rewrite ``_wire_format.py`` for another vendor's API, change ``_completion`` and ``_stream_events``
below to render that API's format; the scripting stays the same.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from typing_extensions import Self

from tests.loopback import ClientDisconnected, LoopbackServer, Request, Responder

CHAT_COMPLETIONS_PATH = "/v1/chat/completions"
DEFAULT_FINISH = "<default>"
"""``finish_reason`` placeholder: ``"tool_calls"`` for a reply with tool calls, else ``"stop"``."""
HEARTBEAT_INTERVAL = 0.05
MAX_PAUSE = 10.0
"""A pause that nothing resumes ends after this many seconds by dropping the connection, so a broken client
under test fails instead of hanging."""


@dataclass(frozen=True)
class ToolCall:
    """One tool call the scripted model makes."""

    name: str
    arguments: str | Mapping[str, Any] = "{}"
    """A JSON string (sent as is, even if invalid) or a mapping (encoded as JSON)."""
    id: str | None = None
    """``None`` numbers calls ``call_1``, ``call_2``, ... in server order; ``""`` sends an empty id."""


@dataclass
class Reply:
    """A successful completion, streamed or not as the request asks."""

    text: str | None = None
    tool_calls: Sequence[ToolCall] = ()
    reasoning: str | None = None
    """Sent as ``reasoning_content`` (the DeepSeek / vLLM field)."""
    finish_reason: str | None = DEFAULT_FINISH
    """Any string, or ``None`` to send none."""
    usage: tuple[int, int] | None = None
    """``(prompt_tokens, completion_tokens)``; streamed only when the request asks for usage."""
    chunk_size: int = 4
    """Streaming: characters of text (and of tool-call arguments) per event."""
    delay: float = 0.0
    """Seconds of silence before the response starts (a slow server)."""
    pause_after: int | None = None
    """Pause after this many stream events (or, not streamed, after the headers) until ``resume`` is set."""
    resume: asyncio.Event | None = None
    """Ends a pause; ``None`` pauses until the client goes away."""
    heartbeat: bool = True
    """While paused, send keep-alives (SSE comments, JSON whitespace) so a client that disconnects is noticed
    and its connection ends; ``False`` pauses in silence (to trigger read timeouts)."""
    drop_after: int | None = None
    """Streaming: abort the connection after this many events (a crash mid-stream)."""
    fragment_bytes: int | None = None
    """Streaming: write the body in pieces of this many bytes, splitting events mid-line."""
    done_marker: bool = True
    """Streaming: end with ``data: [DONE]``."""


@dataclass
class ErrorReply:
    """An HTTP error with an OpenAI-style body ``{"error": {"message": ...}}``."""

    status: int
    message: str = "scripted failure"
    headers: Mapping[str, str] = field(default_factory=dict[str, str])


@dataclass
class RawReply:
    """Exactly these bytes, e.g. a malformed body."""

    body: bytes
    status: int = 200
    content_type: str = "application/json"
    hold_open: bool = False
    """Send the body as a chunked stream, then keep the response open (with keep-alives) until the client
    leaves: shows whether a client that rejects the body also closes the connection."""


@dataclass
class Disconnect:
    """Close the connection without answering."""


Step = Reply | ErrorReply | RawReply | Disconnect


class ScriptedServer:
    """Serves queued steps in order on ``POST /v1/chat/completions``.

    Args:
        steps: Initial script.
        default: Served whenever the script is empty (e.g. for benchmarks); without it an empty script
            answers HTTP 400 "script exhausted", which clients do not retry.
    """

    def __init__(self, *steps: Step, default: Step | None = None) -> None:
        self._script: deque[Step] = deque(steps)
        self._default = default
        self._loopback = LoopbackServer(self._handle)
        self._call_ids = itertools.count(1)

    def queue(self, *steps: Step) -> None:
        """Append steps to the script."""
        self._script.extend(steps)

    @property
    def base_url(self) -> str:
        """What a client takes as ``base_url`` (the API root, ending in ``/v1``)."""
        return self._loopback.url + "/v1"

    @property
    def requests(self) -> list[Request]:
        """Every HTTP request received, in order."""
        return self._loopback.requests

    @property
    def bodies(self) -> list[Any]:
        """The decoded JSON body of every chat completion request, in order."""
        return [request.json() for request in self._loopback.requests if request.path == CHAT_COMPLETIONS_PATH]

    @property
    def pending(self) -> int:
        """Steps not served yet."""
        return len(self._script)

    @property
    def open_connections(self) -> int:
        return self._loopback.open_connections

    @property
    def connections_opened(self) -> int:
        return self._loopback.connections_opened

    async def wait_until(self, condition: Callable[[], bool], seconds: float = 2.0) -> bool:
        """Poll ``condition`` until it holds (True) or ``seconds`` pass (False)."""
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    async def wait_closed(self, seconds: float = 2.0) -> bool:
        """Whether every client connection is closed within ``seconds``."""
        return await self.wait_until(lambda: self.open_connections == 0, seconds)

    async def __aenter__(self) -> Self:
        await self._loopback.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._loopback.__aexit__(exc_type, exc, tb)

    async def _handle(self, request: Request, respond: Responder) -> None:
        if request.method != "POST" or request.path != CHAT_COMPLETIONS_PATH:
            await respond.json(404, {"error": {"message": f"no route for {request.method} {request.path}"}})
            return
        step = self._script.popleft() if self._script else self._default
        if step is None:
            await respond.json(400, {"error": {"message": "scripted server: script exhausted"}})
            return
        if isinstance(step, Disconnect):
            await respond.drop()
        elif isinstance(step, ErrorReply):
            body = {"error": {"message": step.message, "type": "scripted_error", "code": step.status}}
            await respond.json(step.status, body, headers=step.headers)
        elif isinstance(step, RawReply):
            if not step.hold_open:
                await respond.send(step.status, step.body, content_type=step.content_type)
                return
            await respond.start_stream(step.status, content_type=step.content_type)
            await respond.write(step.body)
            keepalive = b": keep-alive\n\n" if step.content_type == "text/event-stream" else b" "
            await self._pause(Reply(), respond, keepalive)
            await respond.end_stream()
        else:
            body = request.json()
            if step.delay:
                await asyncio.sleep(step.delay)
            if body.get("stream"):
                await self._stream(step, body, respond)
            else:
                await self._complete(step, body, respond)

    async def _pause(self, reply: Reply, respond: Responder, keepalive: bytes) -> None:
        deadline = time.monotonic() + MAX_PAUSE
        while reply.resume is None or not reply.resume.is_set():
            if time.monotonic() > deadline:
                await respond.drop()
                raise ClientDisconnected("pause limit reached")
            if reply.heartbeat:
                await respond.write(keepalive)  # raises ClientDisconnected once the client has gone
            await asyncio.sleep(HEARTBEAT_INTERVAL)

    async def _complete(self, reply: Reply, request: Mapping[str, Any], respond: Responder) -> None:
        payload = json.dumps(self._completion(reply, request)).encode()
        if reply.pause_after is None:
            await respond.send(200, payload, content_type="application/json")
            return
        await respond.start_stream(200, content_type="application/json")
        await self._pause(reply, respond, b" ")  # JSON allows leading whitespace
        await respond.write(payload)
        await respond.end_stream()

    async def _stream(self, reply: Reply, request: Mapping[str, Any], respond: Responder) -> None:
        events = [b"data: " + json.dumps(event).encode() + b"\n\n" for event in self._stream_events(reply, request)]
        if reply.done_marker:
            events.append(b"data: [DONE]\n\n")
        await respond.start_stream(200)
        if reply.fragment_bytes:
            blob = b"".join(events)
            size = reply.fragment_bytes
            events = [blob[start : start + size] for start in range(0, len(blob), size)]
        for number, event in enumerate(events):
            if number == reply.drop_after:
                await respond.drop()
                return
            if number == reply.pause_after:
                await self._pause(reply, respond, b": keep-alive\n\n")
            await respond.write(event)
        await respond.end_stream()

    def _next_id(self, call: ToolCall) -> str:
        return call.id if call.id is not None else f"call_{next(self._call_ids)}"

    @staticmethod
    def _arguments(call: ToolCall) -> str:
        return call.arguments if isinstance(call.arguments, str) else json.dumps(call.arguments)

    @staticmethod
    def _finish(reply: Reply) -> str | None:
        if reply.finish_reason == DEFAULT_FINISH:
            return "tool_calls" if reply.tool_calls else "stop"
        return reply.finish_reason

    @staticmethod
    def _usage(reply: Reply) -> dict[str, int] | None:
        if reply.usage is None:
            return None
        prompt, completion = reply.usage
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    def _completion(self, reply: Reply, request: Mapping[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": reply.text}
        if reply.reasoning is not None:
            message["reasoning_content"] = reply.reasoning
        if reply.tool_calls:
            message["tool_calls"] = [
                {
                    "id": self._next_id(call),
                    "type": "function",
                    "function": {"name": call.name, "arguments": self._arguments(call)},
                }
                for call in reply.tool_calls
            ]
        completion: dict[str, Any] = {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.get("model", "scripted"),
            "choices": [{"index": 0, "message": message, "finish_reason": self._finish(reply), "logprobs": None}],
        }
        usage = self._usage(reply)
        if usage is not None:
            completion["usage"] = usage
        return completion

    def _stream_events(self, reply: Reply, request: Mapping[str, Any]) -> list[dict[str, Any]]:
        head = {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": request.get("model", "scripted"),
        }
        size = max(1, reply.chunk_size)

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
            return {**head, "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}

        def pieces(text: str) -> list[str]:
            return [text[start : start + size] for start in range(0, len(text), size)]

        events = [chunk({"role": "assistant", "content": ""})]
        events += [chunk({"reasoning_content": piece}) for piece in pieces(reply.reasoning or "")]
        events += [chunk({"content": piece}) for piece in pieces(reply.text or "")]
        # Each call starts with its id and name; argument fragments of parallel calls then interleave,
        # so a client must assemble them by index.
        fragments: list[list[dict[str, Any]]] = []
        for index, call in enumerate(reply.tool_calls):
            start = {"index": index, "id": self._next_id(call), "type": "function"}
            events.append(chunk({"tool_calls": [{**start, "function": {"name": call.name, "arguments": ""}}]}))
            fragments.append([{"index": index, "function": {"arguments": p}} for p in pieces(self._arguments(call))])
        for round_ in itertools.zip_longest(*fragments):
            events += [chunk({"tool_calls": [fragment]}) for fragment in round_ if fragment is not None]
        events.append(chunk({}, self._finish(reply)))
        usage = self._usage(reply)
        stream_options: Any = request.get("stream_options") or {}
        if usage is not None and stream_options.get("include_usage"):
            events.append({**head, "choices": [], "usage": usage})
        return events
