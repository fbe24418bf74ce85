"""A real HTTP/1.1 server on 127.0.0.1 for offline tests.

It runs inside the test's event loop on an ephemeral port, so a test sees the same sockets, timeouts and
connection errors a user would, without any network. A handler gets each parsed `Request` and answers
through a `Responder`: a whole body, a chunked stream written piece by piece, or an abrupt drop.
Keep-alive is supported, so connection pooling in the client under test is exercised too.

Example:
    ```python
    async def handler(request: Request, respond: Responder) -> None:
        await respond.json(200, {"path": request.path})

    async with LoopbackServer(handler) as server:
        ...  # point the client at server.url
    ```

Set the environment variable `LOOPBACK_REQUEST_LOG` to a file path, and every `LoopbackServer` appends each
request it receives to that file as one JSON object per line: the running test (`PYTEST_CURRENT_TEST`),
`method`, `target`, `headers` (credentials redacted) and `body` (text; `body_base64` if it is not UTF-8).
Use it to see exactly what your component sent, e.g. `LOOPBACK_REQUEST_LOG=requests.jsonl pytest -q`, or
to check every request body against your vendor's API schema.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from typing_extensions import Self

REQUEST_LOG_VARIABLE = "LOOPBACK_REQUEST_LOG"
"""Environment variable naming a JSON-lines file every server appends the requests it receives to."""
_REDACTED_HEADERS = frozenset({"authorization", "proxy-authorization", "api-key", "x-api-key", "cookie"})


def _reason(status: int) -> str:
    """The standard reason phrase, or none for a status without one (529, or one a proxy invents)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


@dataclass
class Request:
    """One parsed HTTP request."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query)

    def json(self) -> Any:
        return json.loads(self.body)


class ClientDisconnected(Exception):
    """Raised inside a handler when the client went away mid-response."""


@dataclass
class Responder:
    """Writes the response to one request."""

    writer: asyncio.StreamWriter
    sent: bool = False
    keep_alive: bool = True
    _streaming: bool = field(default=False, repr=False)

    def _head(self, status: int, headers: Mapping[str, str]) -> bytes:
        lines = [f"HTTP/1.1 {status} {_reason(status)}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def _write(self, data: bytes) -> None:
        try:
            self.writer.write(data)
            await self.writer.drain()
        except (ConnectionError, RuntimeError) as exc:  # RuntimeError: transport closed under us
            raise ClientDisconnected(str(exc)) from exc

    async def send(
        self, status: int, body: bytes = b"", *, content_type: str = "text/plain", headers: Mapping[str, str] = {}
    ) -> None:
        """Send a complete response with a Content-Length."""
        head = {"Content-Type": content_type, "Content-Length": str(len(body)), **headers}
        self.sent = True
        await self._write(self._head(status, head) + body)

    async def json(self, status: int, payload: Any, *, headers: Mapping[str, str] = {}) -> None:
        """Send `payload` as a JSON body."""
        await self.send(status, json.dumps(payload).encode(), content_type="application/json", headers=headers)

    async def start_stream(self, status: int = 200, *, content_type: str = "text/event-stream") -> None:
        """Start a chunked response; follow with `write` calls and `end_stream`."""
        self.sent = True
        self._streaming = True
        head = {"Content-Type": content_type, "Transfer-Encoding": "chunked", "Cache-Control": "no-cache"}
        await self._write(self._head(status, head))

    async def write(self, data: bytes) -> None:
        """Write one chunk of a streamed response."""
        await self._write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    async def end_stream(self) -> None:
        self._streaming = False
        await self._write(b"0\r\n\r\n")

    async def drop(self) -> None:
        """Close the connection abruptly, whatever was sent so far (a crashed or cut-off server)."""
        self.sent = True
        self.keep_alive = False
        transport = self.writer.transport
        transport.abort()


Handler = Callable[[Request, Responder], Awaitable[None]]


class LoopbackServer:
    """Serves `handler` on `127.0.0.1` while the `async with` block runs; records every request."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self.requests: list[Request] = []
        self.connections_opened = 0

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("server is not running")
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    @property
    def open_connections(self) -> int:
        """Connections the server still holds open (a client that leaks sockets keeps this above zero)."""
        return sum(1 for task in self._connections if not task.done())

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._accept, host="127.0.0.1", port=0)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._connections):
            task.cancel()
        for task in list(self._connections):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._server.wait_closed()
        self._server = None

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections_opened += 1
        task = asyncio.get_running_loop().create_task(self._serve(reader, writer))
        self._connections.add(task)
        task.add_done_callback(self._connections.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    return
                self.requests.append(request)
                _log_request(request)
                respond = Responder(writer)
                try:
                    await self._handler(request, respond)
                except ClientDisconnected:
                    return
                if not respond.sent:
                    await respond.send(500, b"handler sent no response")
                if not respond.keep_alive or request.headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()


def _log_request(request: Request) -> None:
    """Append `request` to the file named by `LOOPBACK_REQUEST_LOG`, if it is set (a small blocking write)."""
    path = os.environ.get(REQUEST_LOG_VARIABLE)
    if not path:
        return
    headers = {name: "<redacted>" if name in _REDACTED_HEADERS else value for name, value in request.headers.items()}
    entry: dict[str, Any] = {
        "test": os.environ.get("PYTEST_CURRENT_TEST"),
        "method": request.method,
        "target": request.target,
        "headers": headers,
    }
    try:
        entry["body"] = request.body.decode("utf-8")
    except UnicodeDecodeError:
        entry["body_base64"] = base64.b64encode(request.body).decode("ascii")
    with open(path, "a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\n")


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None  # client closed an idle keep-alive connection
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    method, target, _version = request_line.split(" ", 2)
    headers: dict[str, str] = {}
    for line in header_lines:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Request(method=method, target=target, headers=headers, body=body)
