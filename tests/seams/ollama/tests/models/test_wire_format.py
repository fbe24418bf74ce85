"""The wire format itself (`_wire_format.py`): Ollama's native chat API, request bodies, replies and streams.

Vendor-specific, like the module it tests: it replaces the OpenAI version when the wire format is swapped. No
agent framework here: requests go through the vendor-neutral core (`make_core`), in the package's own types.
"""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from autogen_example.models import ModelAPIResponseError
from autogen_example.models._chat_types import (
    AssistantMessage,
    ChatMessage,
    SystemMessage,
    ToolCall,
    ToolResult,
    ToolResultMessage,
    UserMessage,
)
from autogen_example.models._wire_contract import Reply as ModelReply
from autogen_example.models._wire_format import NDJSONStreamDecoder, error_message, parse_reply, retry_after

from tests.models.conftest import MakeCore
from tests.models.core_client import CLOCK, HELLO, WEATHER, model_info, png_image, stream
from tests.models.scripted_server import RawReply, Reply, ScriptedServer

pytestmark = pytest.mark.framework_free


class Forecast(BaseModel):
    city: str
    summary: str = "unknown"


def decode(body: bytes) -> tuple[list[str], ModelReply]:
    """Feed a whole stream body to the decoder one byte at a time (the worst split a network can do)."""
    decoder = NDJSONStreamDecoder()
    deltas = [delta for index in range(len(body)) for delta in decoder.feed(body[index : index + 1])]
    deltas += decoder.end()
    return deltas, decoder.finish()


def lines(*events: object) -> bytes:
    return b"".join(json.dumps(event).encode() + b"\n" for event in events)


@pytest.mark.asyncio
async def test_request_body(server: ScriptedServer, make_core: MakeCore) -> None:
    client = make_core(
        temperature=0.2, max_tokens=50, stop=["END"], seed=7, extra_create_args={"top_k": 5, "keep_alive": "1m"}
    )
    server.queue(Reply(text="Hello there"))
    await client.create([SystemMessage("Be brief."), *HELLO])
    assert server.bodies[0] == {
        "model": "scripted-model",
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"}],
        "stream": False,
        "keep_alive": "1m",
        "options": {"top_k": 5, "temperature": 0.2, "stop": ["END"], "seed": 7, "num_predict": 50},
    }
    request = server.requests[0]
    assert (request.method, request.path) == ("POST", "/api/chat")


@pytest.mark.asyncio
async def test_messages_images_and_tool_calls(server: ScriptedServer, make_core: MakeCore) -> None:
    image = png_image(2, 2)
    history: list[ChatMessage] = [
        UserMessage(["What is this?", image]),
        AssistantMessage([ToolCall(id="c1", name="clock", arguments='{"timezone": "UTC"}')]),
        ToolResultMessage([ToolResult(call_id="c1", content="noon", name="clock")]),
    ]
    server.queue(Reply(text="ok"))
    await make_core(model_info=model_info(vision=True)).create(history)
    assert server.bodies[0]["messages"] == [
        {"role": "user", "content": "What is this?", "images": [image.base64]},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"id": "c1", "function": {"name": "clock", "arguments": {"timezone": "UTC"}}}],
        },
        {"role": "tool", "content": "noon", "tool_name": "clock", "tool_call_id": "c1"},
    ]


@pytest.mark.asyncio
async def test_tools_format_and_streaming_flags(server: ScriptedServer, make_core: MakeCore) -> None:
    server.queue(Reply(text="{}"), Reply(text="{}"), Reply(text="ok"))
    client = make_core()
    await client.create(HELLO, tools=[WEATHER, CLOCK], json_output=True)
    await client.create(HELLO, json_output=Forecast)
    await stream(client, tools=[WEATHER], tool_choice="none")
    first, second, third = server.bodies
    assert [tool["function"]["name"] for tool in first["tools"]] == ["weather", "clock"]
    assert first["format"] == "json"
    assert second["format"] == Forecast.model_json_schema()  # Ollama takes the schema as it is
    assert third["stream"] is True
    assert "tools" not in third  # tool_choice="none": no tools are offered


def test_a_reply_with_thinking_tool_calls_without_ids_and_counts() -> None:
    message = {
        "role": "assistant",
        "content": "",
        "thinking": "Hmm.",
        "tool_calls": [{"function": {"name": "clock", "arguments": {"timezone": "UTC"}}}],
    }
    body = {"model": "m", "message": message, "done": True, "done_reason": "stop", "eval_count": 4}
    reply = parse_reply(json.dumps(body).encode())
    assert isinstance(reply.content, list)
    [call] = reply.content
    assert (call.name, call.arguments) == ("clock", '{"timezone": "UTC"}')
    assert call.id  # filled in: older servers send no ids
    assert (reply.thought, reply.finish_reason) == ("Hmm.", "function_calls")
    assert reply.usage is not None
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (0, 4)  # a cached prompt is not counted


def test_a_stream_split_anywhere() -> None:
    body = lines(
        {"message": {"role": "assistant", "content": "", "thinking": "Let me think."}, "done": False},
        {"message": {"role": "assistant", "content": "Bonjour, "}, "done": False},
        {"message": {"role": "assistant", "content": "ça va"}, "done": False},
        {
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": "length",
            "prompt_eval_count": 3,
            "eval_count": 2,
        },
    )
    deltas, reply = decode(body)
    assert deltas == ["Bonjour, ", "ça va"]
    assert (reply.content, reply.thought, reply.finish_reason) == ("Bonjour, ça va", "Let me think.", "length")


def test_a_stream_without_its_last_line_is_cut_short() -> None:
    with pytest.raises(ModelAPIResponseError, match="before the reply was complete"):
        decode(lines({"message": {"role": "assistant", "content": "Hi"}, "done": False}))


@pytest.mark.asyncio
async def test_an_error_line_mid_stream(server: ScriptedServer, make_core: MakeCore) -> None:
    body = lines({"message": {"role": "assistant", "content": "Hi"}, "done": False}, {"error": "model crashed"})
    server.queue(RawReply(body, content_type="application/x-ndjson"))
    with pytest.raises(ModelAPIResponseError, match="model crashed"):
        await stream(make_core())


@pytest.mark.parametrize(
    ("body", "message"),
    [(b'{"error": "model \\"x\\" not found"}', 'model "x" not found'), (b"bad gateway", "bad gateway"), (b"", None)],
    ids=["ollama", "text", "empty"],
)
def test_error_bodies(body: bytes, message: str | None) -> None:
    assert error_message(body) == message


def test_no_retry_hint() -> None:
    assert retry_after({"retry-after-ms": "1000"}) is None
