"""AutoGen tools as MCP tools: exactly what an AutoGen agent sees, served to any MCP client.

The name, the description and the argument schema are the tool's `BaseTool.schema`; a call runs `run_json()`
(which validates the arguments with the tool's own model) and answers with `return_value_as_string()`, the text
an `AssistantAgent` gives its model. Every component this server serves is such a tool: the search tool is one,
and the memory and the code executor are wrapped in one (`_memory_source.py`, `_code_executor_source.py`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from autogen_core import CancellationToken
from autogen_core.tools import BaseTool

from ._served import ServedTool

EMPTY_SCHEMA: Mapping[str, Any] = {"type": "object", "properties": {}}


def served_tool(tool: BaseTool[Any, Any]) -> ServedTool:
    """`tool` as the MCP server serves it: its AutoGen schema, its run and its text.

    A client that gives up on a call (MCP cancellation) cancels the tool's `CancellationToken`, as an
    AutoGen agent does when its run is cancelled.
    """
    schema = tool.schema

    async def call(arguments: Mapping[str, Any]) -> str:
        token = CancellationToken()
        try:
            value = await tool.run_json(arguments, token)
        except asyncio.CancelledError:
            token.cancel()
            raise
        return tool.return_value_as_string(value)

    return ServedTool(
        name=schema["name"],
        description=schema.get("description", ""),
        input_schema=dict(schema.get("parameters", EMPTY_SCHEMA)),
        call=call,
    )
