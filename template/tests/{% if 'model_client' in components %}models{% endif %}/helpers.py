"""Helpers the AutoGen client tests share: a message, tools, model capabilities, images and stream readers."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from typing import Any

from autogen_core import Image
from autogen_core.models import ChatCompletionClient, CreateResult, LLMMessage, UserMessage
from autogen_core.tools import FunctionTool, Tool, ToolSchema

from tests.models.core_client import model_info as model_info
from tests.models.core_client import png_image as neutral_png

HELLO: list[LLMMessage] = [UserMessage(content="Hello", source="user")]


def weather(city: str) -> str:
    """Current weather in a city."""
    return f"sunny in {city}"


def clock(timezone: str) -> str:
    """Current time in a timezone."""
    return f"noon in {timezone}"


WEATHER = FunctionTool(weather, description="Current weather in a city.", strict=True)
CLOCK = FunctionTool(clock, description="Current time in a timezone.")
TOOLS: list[Tool] = [WEATHER, CLOCK]


def png_image(width: int, height: int) -> Image:
    """A solid grey PNG of the given size, as AutoGen's `Image`."""
    return Image.from_base64(neutral_png(width, height).base64)


async def stream(
    client: ChatCompletionClient,
    messages: Sequence[LLMMessage] = HELLO,
    *,
    tools: Sequence[Tool | ToolSchema] = (),
    **kwargs: Any,
) -> tuple[list[str], CreateResult]:
    """All deltas and the final result of one streamed call, checking the streaming contract on the way."""
    deltas: list[str] = []
    results: list[CreateResult] = []
    async for chunk in client.create_stream(messages, tools=tools, **kwargs):
        if isinstance(chunk, str):
            assert not results, "text after the final result"
            deltas.append(chunk)
        else:
            results.append(chunk)
    assert len(results) == 1, "exactly one final CreateResult"
    return deltas, results[0]


async def collect(stream: AsyncGenerator[str | CreateResult, None], deltas: list[str] | None = None) -> CreateResult:
    """Read a stream to its end (or its error); text deltas go to `deltas`; return the final result."""
    final: CreateResult | None = None
    async for chunk in stream:
        if isinstance(chunk, str):
            if deltas is not None:
                deltas.append(chunk)
        else:
            final = chunk
    assert final is not None, "stream ended without a CreateResult"
    return final


async def reply(
    client: ChatCompletionClient, streamed: bool, messages: Sequence[LLMMessage] = HELLO, **kwargs: Any
) -> CreateResult:
    """The result of one call, streamed or not: for tests that must hold either way."""
    if streamed:
        return (await stream(client, messages, **kwargs))[1]
    return await client.create(messages, **kwargs)
