"""A scripted model server on 127.0.0.1, for tests, examples and benchmarks: vendor-neutral.

Queue what the "model" answers, in order; the server answers each chat request with the next step, as a whole
body or as a stream (as the request asks), in the wire format that `wire_server.py` renders. Faults are
scripted the same way: HTTP errors, unreadable bodies and events, dropped connections, slow or stalled
replies. Requests are read back into vendor-neutral `SentRequest` objects (`sent`), so tests can check what
the client sent without naming a vendor's fields. It runs on `tests/loopback.py`: real sockets, no network.

Example:
    ```python
    async with ScriptedServer() as server:
        server.queue(
            Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"})]),
            Reply(text="It is sunny in Paris.", usage=(42, 7)),
        )
        client = MyClient(model="scripted", base_url=server.base_url)
        ...  # the first request gets the tool call, the second the text
        assert server.sent[1].messages[-1].role == "tool"
    ```
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from types import TracebackType
from typing import Any

from typing_extensions import Self

from tests.loopback import ClientDisconnected, LoopbackServer, Request, Responder
from tests.models.scenario import (
    DEFAULT_FINISH,
    BrokenStream,
    Disconnect,
    ErrorReply,
    Frame,
    RawReply,
    Reply,
    SentMessage,
    SentRequest,
    SentTool,
    SentToolCall,
    Step,
    ToolCall,
    WireRenderer,
)
from tests.models.wire_server import Renderer

__all__ = [
    "DEFAULT_FINISH",
    "BrokenStream",
    "Disconnect",
    "ErrorReply",
    "RawReply",
    "Reply",
    "ScriptedServer",
    "SentMessage",
    "SentRequest",
    "SentTool",
    "SentToolCall",
    "Step",
    "ToolCall",
]

HEARTBEAT_INTERVAL = 0.05
MAX_PAUSE = 10.0
"""A pause that nothing resumes ends after this many seconds by dropping the connection, so a broken client
under test fails instead of hanging."""


class ScriptedServer:
    """Serves queued steps in order, one per chat request.

    Args:
        steps: Initial script.
        default: Served whenever the script is empty (e.g. for benchmarks); without it an empty script
            answers HTTP 400 "script exhausted", which clients do not retry.
        wire: The wire format to speak; `wire_server.Renderer()` by default.
    """

    def __init__(self, *steps: Step, default: Step | None = None, wire: WireRenderer | None = None) -> None:
        self._script: deque[Step] = deque(steps)
        self._default = default
        self._wire: WireRenderer = wire if wire is not None else Renderer()
        self._loopback = LoopbackServer(self._handle)
        self._call_ids = itertools.count(1)
        self.sent: list[SentRequest] = []
        """Every chat request received, read back into vendor-neutral terms, in order."""

    def queue(self, *steps: Step) -> None:
        """Append steps to the script."""
        self._script.extend(steps)

    @property
    def base_url(self) -> str:
        """What a client takes as `base_url` (e.g. the API root, ending in `/v1`)."""
        return self._loopback.url + self._wire.base_path

    @property
    def requests(self) -> list[Request]:
        """Every HTTP request received, in order (chat requests or not)."""
        return self._loopback.requests

    @property
    def bodies(self) -> list[Any]:
        """The decoded body of every chat request, in the vendor's format (for wire tests)."""
        return [sent.raw for sent in self.sent]

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
        """Poll `condition` until it holds (True) or `seconds` pass (False)."""
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    async def wait_closed(self, seconds: float = 2.0) -> bool:
        """Whether every client connection is closed within `seconds`."""
        return await self.wait_until(lambda: self.open_connections == 0, seconds)

    async def __aenter__(self) -> Self:
        await self._loopback.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._loopback.__aexit__(exc_type, exc, tb)

    async def _handle(self, request: Request, respond: Responder) -> None:
        try:
            sent = self._wire.read(request)
        except ValueError as exc:
            await self._error(ErrorReply(400, f"scripted server: unreadable request: {exc}"), respond)
            return
        if sent is None:
            await self._error(ErrorReply(404, f"no route for {request.method} {request.path}"), respond)
            return
        self.sent.append(sent)
        refused = self._wire.check(sent)
        if refused is not None:  # the emulated server rejects the request; the script stays where it is
            await self._error(refused, respond)
            return
        step = self._script.popleft() if self._script else self._default
        if step is None:
            await self._error(ErrorReply(400, "scripted server: script exhausted"), respond)
        elif isinstance(step, Disconnect):
            await respond.drop()
        elif isinstance(step, ErrorReply):
            await self._error(step, respond)
        elif isinstance(step, RawReply):
            await self._raw(step, respond)
        elif isinstance(step, BrokenStream):
            await respond.start_stream(200, content_type=self._wire.stream_content_type)
            await respond.write(self._wire.render_broken(step.error))
            await self._pause(Reply(), respond, self._wire.stream_keepalive)
            await respond.end_stream()
        else:
            reply = self._with_call_ids(step)
            if reply.delay:
                await asyncio.sleep(reply.delay)
            if sent.stream:
                await self._stream(reply, sent, respond)
            else:
                await self._complete(reply, sent, respond)

    def _with_call_ids(self, reply: Reply) -> Reply:
        if all(call.id is not None for call in reply.tool_calls):
            return reply
        calls = [
            call if call.id is not None else replace(call, id=f"call_{next(self._call_ids)}")
            for call in reply.tool_calls
        ]
        return replace(reply, tool_calls=calls)

    async def _error(self, error: ErrorReply, respond: Responder) -> None:
        body = self._wire.render_error(error)
        await respond.send(error.status, body, content_type="application/json", headers=error.headers)

    async def _raw(self, raw: RawReply, respond: Responder) -> None:
        if not raw.hold_open:
            await respond.send(raw.status, raw.body, content_type=raw.content_type)
            return
        await respond.start_stream(raw.status, content_type=raw.content_type)
        await respond.write(raw.body)
        keepalive = self._wire.stream_keepalive if raw.content_type == self._wire.stream_content_type else b" "
        await self._pause(Reply(), respond, keepalive)
        await respond.end_stream()

    async def _pause(self, reply: Reply, respond: Responder, keepalive: bytes) -> None:
        deadline = time.monotonic() + MAX_PAUSE
        while reply.resume is None or not reply.resume.is_set():
            if time.monotonic() > deadline:
                await respond.drop()
                raise ClientDisconnected("pause limit reached")
            if reply.heartbeat:
                await respond.write(keepalive)  # raises ClientDisconnected once the client has gone
            await asyncio.sleep(HEARTBEAT_INTERVAL)

    async def _complete(self, reply: Reply, sent: SentRequest, respond: Responder) -> None:
        payload = self._wire.render_reply(reply, sent)
        if reply.pause_after is None:
            await respond.send(200, payload, content_type="application/json")
            return
        await respond.start_stream(200, content_type="application/json")
        await self._pause(reply, respond, b" ")  # JSON allows leading whitespace
        await respond.write(payload)
        await respond.end_stream()

    async def _stream(self, reply: Reply, sent: SentRequest, respond: Responder) -> None:
        frames = self._wire.render_stream(reply, sent)
        await respond.start_stream(200, content_type=self._wire.stream_content_type)
        if reply.fragment_bytes:
            blob = b"".join(frame.data for frame in frames)
            size = reply.fragment_bytes
            frames = [Frame(blob[start : start + size]) for start in range(0, len(blob), size)]
        text_sent = 0
        for frame in [Frame(b""), *frames]:  # the empty first frame: pausing or dropping after the headers
            if frame.data:
                await respond.write(frame.data)
            text_sent += frame.text_pieces
            if text_sent == reply.drop_after:
                await respond.drop()
                return
            if text_sent == reply.pause_after and (frame.text_pieces or not frame.data):
                await self._pause(reply, respond, self._wire.stream_keepalive)
        await respond.end_stream()
