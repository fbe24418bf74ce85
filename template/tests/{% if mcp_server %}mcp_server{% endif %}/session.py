"""MCP clients for the tests, on either major of the MCP SDK: a session with a server in this process, and the
server's command driven over stdio as raw JSON-RPC.

Both majors have `mcp.shared.memory.create_client_server_memory_streams()` and `ClientSession`; only 1.x has
the helper that connects them, so this module does. Results are read through their JSON form (`isError`,
`inputSchema`), which both majors write alike. Framework-free: it imports no agent framework.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
from collections.abc import AsyncGenerator, Mapping
from pathlib import Path
from typing import Any

from mcp import ClientSession
from mcp.server.lowlevel import Server
from mcp.shared.memory import create_client_server_memory_streams


@contextlib.asynccontextmanager
async def connected(server: Server) -> AsyncGenerator[ClientSession, None]:
    """A client session, initialized, talking to `server` over in-memory streams until the block ends."""
    async with create_client_server_memory_streams() as (client_streams, server_streams):
        running = asyncio.ensure_future(
            server.run(server_streams[0], server_streams[1], server.create_initialization_options())
        )
        try:
            async with ClientSession(client_streams[0], client_streams[1]) as session:
                await session.initialize()
                yield session
        finally:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running


async def listing(session: ClientSession) -> dict[str, dict[str, Any]]:
    """Each tool the server lists, by name, as its JSON form: `name`, `description`, `inputSchema`."""
    result = await session.list_tools()
    tools = [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in result.tools]
    return {tool["name"]: tool for tool in tools}


async def call(session: ClientSession, name: str, arguments: Mapping[str, Any]) -> tuple[str, bool]:
    """Call a tool: the text of its answer, and whether it is an error (`isError`)."""
    result = await session.call_tool(name, dict(arguments))
    data = result.model_dump(mode="json", by_alias=True)
    texts = [part["text"] for part in data["content"] if part["type"] == "text"]
    assert len(texts) == len(data["content"]) == 1, data
    return texts[0], bool(data.get("isError"))


def run_command(package: str, *args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m <package>.mcp ARGS` with stdin closed at once (a client that went away): its exit status and
    both streams."""
    return subprocess.run(
        [sys.executable, "-m", f"{package}.mcp", *args],
        input="",
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


def as_json(value: object) -> str:
    """`value` as JSON text, for checks that a secret appears nowhere in it."""
    return json.dumps(value, default=str)


PROTOCOL_VERSION = "2025-06-18"
"""The MCP revision the raw peer asks for: both majors of the SDK speak it."""
CLIENT_INFO = {"name": "tests", "version": "1"}


class StdioPeer:
    """The server's command driven as a host drives it: one JSON-RPC message a line on its stdin and stdout, with
    request ids chosen by the test. `ClientSession` cannot do everything hosts do on both majors; 1.x, for one,
    never cancels a request it gave up on, so a test that cancels call 1 says so itself."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdin is not None
        assert process.stdout is not None
        self._stdin = process.stdin
        self._stdout = process.stdout

    async def send(
        self, method: str, params: Mapping[str, Any] | None = None, *, request_id: int | None = None
    ) -> None:
        """Send a request (with `request_id`) or a notification (without)."""
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = dict(params)
        if request_id is not None:
            message["id"] = request_id
        self._stdin.write(json.dumps(message).encode() + b"\n")
        await self._stdin.drain()

    async def response(self, request_id: int) -> dict[str, Any]:
        """The response to request `request_id`, skipping whatever the server sends before it."""
        while line := await self._stdout.readline():
            message: dict[str, Any] = json.loads(line)
            if message.get("id") == request_id and "method" not in message:
                return message
        raise EOFError(f"the server closed stdout before answering request {request_id}")

    async def request(self, request_id: int, method: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Send a request and wait for its response."""
        await self.send(method, params, request_id=request_id)
        return await self.response(request_id)


@contextlib.asynccontextmanager
async def stdio_peer(package: str, env: Mapping[str, str], stderr: Path) -> AsyncGenerator[StdioPeer, None]:
    """`python -m <package>.mcp`, started and initialized as a host does, until the block ends; then its stdin
    closes and it must exit by itself with status 0. Its log goes to `stderr`."""
    with stderr.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            f"{package}.mcp",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
            env={**os.environ, **env},
        )
    try:
        peer = StdioPeer(process)
        hello = {"protocolVersion": PROTOCOL_VERSION, "capabilities": {}, "clientInfo": CLIENT_INFO}
        initialized = await asyncio.wait_for(peer.request(0, "initialize", hello), timeout=60)
        assert "result" in initialized, initialized
        await peer.send("notifications/initialized")
        yield peer
        assert process.stdin is not None
        process.stdin.close()
        assert await asyncio.wait_for(process.wait(), timeout=30) == 0, f"the server failed; its log: {stderr}"
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
