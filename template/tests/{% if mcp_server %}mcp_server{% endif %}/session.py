"""An MCP client session connected to a server in this process, on either major of the MCP SDK.

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
