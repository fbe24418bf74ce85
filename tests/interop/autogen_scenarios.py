"""Interop scenarios for AutoGen: model clients through a real LiteLLM proxy to a scripted upstream.

Each scenario runs with the generated client `<package>.models.<Class>` and, as the control, autogen-ext's
`OpenAIChatCompletionClient`: it queues what the upstream answers, calls the client through the proxy, and checks
what comes back against what the upstream was scripted to say (and what the upstream was sent). `scenarios.py`
runs them; the contact surface with the generated package is `generated_client` below and `scenario_support`.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.base import TaskResult
from autogen_agentchat.messages import ModelClientStreamingChunkEvent, TextMessage, ToolCallExecutionEvent
from autogen_core import FunctionCall
from autogen_core.models import (
    AssistantMessage,
    ChatCompletionClient,
    CreateResult,
    FunctionExecutionResult,
    FunctionExecutionResultMessage,
    LLMMessage,
    ModelFamily,
    ModelInfo,
    SystemMessage,
    UserMessage,
)
from autogen_core.tools import FunctionTool
from pydantic import BaseModel
from scenario_support import (
    CALLS,
    MODEL,
    NAMED_CHOICE,
    PROXY_REFUSAL,
    STORY,
    SYSTEM,
    TASK,
    TIMEOUT,
    WEATHER_TASK,
    ClientKind,
    Run,
    Scenario,
    add,
    check,
    get_time,
    get_weather,
    status_in_chain,
)

MODEL_INFO = ModelInfo(
    vision=False, function_calling=True, json_output=True, family=ModelFamily.UNKNOWN, structured_output=True
)
AutoGenRun: TypeAlias = Run[ChatCompletionClient]


def _kind(name: str, client_class: Any, status_error: type[BaseException], **stream_kwargs: Any) -> ClientKind[Any]:
    """Both classes take the same constructor arguments, and raise their HTTP-status error itself."""

    def make(*, base_url: str, api_key: str, max_retries: int) -> ChatCompletionClient:
        return client_class(
            model=MODEL,
            base_url=base_url,
            api_key=api_key,
            model_info=MODEL_INFO,
            timeout=TIMEOUT,
            max_retries=max_retries,
        )

    async def close(client: ChatCompletionClient) -> None:
        await client.close()

    def status_of(exc: BaseException) -> int | None:
        return status_in_chain(exc, status_error) if isinstance(exc, status_error) else None

    return ClientKind(name, make, close, status_of, stream_kwargs)


def generated_client(path: str) -> ClientKind[Any]:
    """`<package>.models.<Class>` and its `ModelAPIStatusError`; it asks for streamed usage by default."""
    module_name, _, class_name = path.rpartition(".")
    module = importlib.import_module(module_name)
    return _kind("generated", getattr(module, class_name), module.ModelAPIStatusError)


def control_client() -> ClientKind[Any]:
    """autogen-ext's `OpenAIChatCompletionClient`, configured as its documentation says."""
    import openai
    from autogen_ext.models.openai import OpenAIChatCompletionClient

    # Streamed usage is opt-in there: its documented flag.
    return _kind("autogen-ext", OpenAIChatCompletionClient, openai.APIStatusError, include_usage=True)


@dataclass
class Streamed:
    chunks: list[str]
    result: CreateResult


async def stream(
    run: AutoGenRun, client: ChatCompletionClient, messages: Sequence[LLMMessage], **kwargs: Any
) -> Streamed:
    chunks: list[str] = []
    results: list[CreateResult] = []
    async for item in client.create_stream(messages, **run.kind.stream_kwargs, **kwargs):
        if isinstance(item, CreateResult):
            results.append(item)
        else:
            check(not results, f"a text chunk arrived after the final result: {item!r}")
            chunks.append(item)
    check(len(results) == 1, f"expected exactly one final CreateResult, got {len(results)}")
    return Streamed(chunks, results[0])


async def call(
    run: AutoGenRun, client: ChatCompletionClient, messages: Sequence[LLMMessage], *, streamed: bool, **kwargs: Any
) -> CreateResult:
    """`create_stream`'s final result if `streamed`, else `create`'s."""
    if streamed:
        return (await stream(run, client, messages, **kwargs)).result
    return await client.create(messages, **kwargs)


def expect_result(result: CreateResult, content: object, finish_reason: str, usage: tuple[int, int] | None) -> None:
    check(result.content == content, f"content {result.content!r}, expected {content!r}")
    check(result.finish_reason == finish_reason, f"finish_reason {result.finish_reason!r}, expected {finish_reason!r}")
    if usage is not None:
        got = (result.usage.prompt_tokens, result.usage.completion_tokens)
        check(got == usage, f"usage {got}, expected {usage}")


def text_of(result: CreateResult) -> str:
    check(isinstance(result.content, str), f"expected text, got {result.content!r}")
    return str(result.content)


def expect_calls(content: object, expected: Sequence[tuple[str, str, dict[str, Any]]]) -> list[FunctionCall]:
    check(isinstance(content, list), f"expected tool calls, got {content!r}")
    got = []
    for item in content:
        check(isinstance(item, FunctionCall), f"not a FunctionCall: {item!r}")
        try:
            arguments = json.loads(item.arguments)
        except ValueError:
            arguments = item.arguments
        got.append((item.id, item.name, arguments))
    check(got == list(expected), f"tool calls {got}, expected {list(expected)}")
    return list(content)


# ---- the scenarios -----------------------------------------------------------------------------------------------

PROMPT = [SystemMessage(content=SYSTEM), UserMessage(content=TASK, source="user")]
TOOLS = [FunctionTool(get_weather, description="The weather in a city."), FunctionTool(get_time, "The time.")]
WEATHER_QUESTION = UserMessage(content=WEATHER_TASK, source="user")


async def create(run: AutoGenRun) -> None:
    run.queue(run.scripted.reply(text=STORY, usage=(21, 17)))
    result = await run.client().create(PROMPT)
    expect_result(result, STORY, "stop", (21, 17))
    run.expect_sent(1)
    check(run.sent[0]["messages"][-1]["content"] == TASK, "the prompt did not reach the upstream")


async def create_stream(run: AutoGenRun) -> None:
    run.queue(run.scripted.reply(text=STORY, usage=(21, 17), chunk_size=5))
    streamed = await stream(run, run.client(), PROMPT)
    check(len(streamed.chunks) > 1, f"not streamed: {len(streamed.chunks)} chunk(s)")
    check("".join(streamed.chunks) == STORY, f"chunks join to {''.join(streamed.chunks)!r}")
    expect_result(streamed.result, STORY, "stop", (21, 17))


async def truncated_stream(run: AutoGenRun) -> None:
    run.queue(run.scripted.reply(text="Once upon a", finish_reason="length", usage=(21, 3), chunk_size=4))
    streamed = await stream(run, run.client(), PROMPT)
    expect_result(streamed.result, "Once upon a", "length", (21, 3))


async def _tool_round(run: AutoGenRun, streamed: bool) -> None:
    client = run.client()
    run.queue(run.scripted.reply(tool_calls=run.scripted_calls(), chunk_size=3))
    result = await call(run, client, [WEATHER_QUESTION], streamed=streamed, tools=TOOLS)
    calls = expect_calls(result.content, CALLS)
    check(result.finish_reason == "function_calls", f"finish_reason {result.finish_reason!r}")
    offered = [tool["function"]["name"] for tool in run.sent[0].get("tools", [])]
    check(offered == ["get_weather", "get_time"], f"upstream was offered tools {offered}")

    answer = "Sunny in Paris, and it is 10:00."
    run.queue(run.scripted.reply(text=answer, usage=(60, 9), chunk_size=4))
    outputs = [FunctionExecutionResult(content=f"output of {c.id}", name=c.name, call_id=c.id) for c in calls]
    history: list[LLMMessage] = [
        WEATHER_QUESTION,
        AssistantMessage(content=calls, source="assistant"),
        FunctionExecutionResultMessage(content=outputs),
    ]
    expect_result(await call(run, client, history, streamed=streamed, tools=TOOLS), answer, "stop", (60, 9))
    run.expect_tool_results_forwarded(1, [(c.id, f"output of {c.id}") for c in calls])


async def tool_calls(run: AutoGenRun) -> None:
    await _tool_round(run, streamed=False)


async def tool_calls_stream(run: AutoGenRun) -> None:
    await _tool_round(run, streamed=True)


async def tool_choice_forced(run: AutoGenRun) -> None:
    run.queue(run.scripted.reply(tool_calls=run.scripted_calls()[:1]))
    result = await run.client().create([WEATHER_QUESTION], tools=TOOLS, tool_choice=TOOLS[0])
    expect_calls(result.content, CALLS[:1])
    choice = run.sent[0].get("tool_choice")
    check(choice == NAMED_CHOICE, f"upstream got tool_choice {choice!r}")


async def json_mode(run: AutoGenRun) -> None:
    run.queue(run.scripted.reply(text='{"answer": 42, "unit": "none"}'))
    result = await run.client().create([UserMessage(content="Answer in JSON.", source="user")], json_output=True)
    text = text_of(result)
    check(json.loads(text) == {"answer": 42, "unit": "none"}, f"content {text!r}")
    fmt = run.sent[0].get("response_format")
    check(fmt == {"type": "json_object"}, f"upstream got response_format {fmt!r}")


class Forecast(BaseModel):
    city: str
    temperature_c: int


async def structured_output(run: AutoGenRun) -> None:
    run.queue(run.scripted.reply(text=Forecast(city="Paris", temperature_c=21).model_dump_json()))
    question = [UserMessage(content="Forecast for Paris.", source="user")]
    text = text_of(await run.client().create(question, json_output=Forecast))
    check(Forecast.model_validate_json(text) == Forecast(city="Paris", temperature_c=21), f"content {text!r}")
    fmt = run.sent[0].get("response_format") or {}
    check(fmt.get("type") == "json_schema", f"upstream got response_format {fmt!r}")
    properties = set(fmt.get("json_schema", {}).get("schema", {}).get("properties", {}))
    check(properties == {"city", "temperature_c"}, f"upstream got the schema {fmt!r}")


async def wrong_api_key(run: AutoGenRun) -> None:
    client = run.client(api_key="sk-not-the-proxy-key")
    await run.expect_status(client.create(PROMPT), 400, PROXY_REFUSAL)
    check(not run.sent, f"the upstream got {len(run.sent)} requests")


async def error_400(run: AutoGenRun) -> None:
    run.queue(run.scripted.error_reply(400, "unsupported parameter: frobnicate"))
    await run.expect_status(run.client().create(PROMPT), 400, "unsupported parameter: frobnicate")
    run.expect_sent(1, " (a 400 is not retried)")


async def error_400_stream(run: AutoGenRun) -> None:
    run.queue(run.scripted.error_reply(400, "unsupported parameter: frobnicate"))
    await run.expect_status(stream(run, run.client(), PROMPT), 400, "unsupported parameter: frobnicate")
    run.expect_sent(1, " (a 400 is not retried)")


async def error_429_retried(run: AutoGenRun) -> None:
    run.queue(run.scripted.error_reply(429, "slow down", headers={"Retry-After": "0"}), run.scripted.reply(text=STORY))
    result = await run.client().create(PROMPT)
    expect_result(result, STORY, "stop", None)
    run.expect_sent(2, " (one retry)")


async def error_429_stream_retried(run: AutoGenRun) -> None:
    run.queue(run.scripted.error_reply(429, "slow down", headers={"Retry-After": "0"}), run.scripted.reply(text=STORY))
    streamed = await stream(run, run.client(), PROMPT)
    expect_result(streamed.result, STORY, "stop", None)
    run.expect_sent(2, " (one retry)")


async def error_500_exhausted(run: AutoGenRun) -> None:
    run.queue(*[run.scripted.error_reply(500, "upstream exploded") for _ in range(2)])
    await run.expect_status(run.client(max_retries=1).create(PROMPT), 500, "upstream exploded")
    run.expect_sent(2, " (max_retries=1)")


async def assistant_agent(run: AutoGenRun) -> None:
    run.queue(
        run.scripted.reply(
            text="Let me add those.",
            tool_calls=[run.scripted.tool_call("add", {"a": 2, "b": 3}, id="call_add")],
            chunk_size=3,
        ),
        run.scripted.reply(text="2 + 3 = 5.", usage=(40, 6), chunk_size=3),
    )
    agent = AssistantAgent(
        "calculator", model_client=run.client(), tools=[add], reflect_on_tool_use=True, model_client_stream=True
    )
    items = [item async for item in agent.run_stream(task="What is 2 + 3?")]
    result = items[-1]
    check(isinstance(result, TaskResult), f"the run ended with {result!r}")
    final = result.messages[-1]
    check(isinstance(final, TextMessage) and final.content == "2 + 3 = 5.", f"final message {final!r}")
    executions = [r for m in result.messages if isinstance(m, ToolCallExecutionEvent) for r in m.content]
    outcome = [(r.call_id, r.content, r.is_error) for r in executions]
    check(outcome == [("call_add", "5", False)], f"tool executions {outcome}")
    streamed = "".join(i.content for i in items if isinstance(i, ModelClientStreamingChunkEvent))
    check("2 + 3 = 5." in streamed, f"the reflection was not streamed: {streamed!r}")
    run.expect_sent(2)
    tool_message = [m for m in run.sent[1]["messages"] if m["role"] == "tool"]
    check([(m["tool_call_id"], m["content"]) for m in tool_message] == [("call_add", "5")], f"sent {tool_message}")


async def assistant_agent_usage(run: AutoGenRun) -> None:
    """Token usage of a streamed agent run, with each client's default settings."""
    run.queue(run.scripted.reply(text="Hello!", usage=(30, 2), chunk_size=2))
    agent = AssistantAgent("greeter", model_client=run.client(), model_client_stream=True)
    result = await agent.run(task="Say hello.")
    final = result.messages[-1]
    usage = final.models_usage
    got = (usage.prompt_tokens, usage.completion_tokens) if usage else None
    check(got == (30, 2), f"the agent's reply reports usage {got}, the upstream reported (30, 2)")


SCENARIOS: dict[str, Scenario] = {
    "create": create,
    "create_stream": create_stream,
    "truncated_stream": truncated_stream,
    "tool_calls": tool_calls,
    "tool_calls_stream": tool_calls_stream,
    "tool_choice_forced": tool_choice_forced,
    "json_mode": json_mode,
    "structured_output": structured_output,
    "wrong_api_key": wrong_api_key,
    "error_400": error_400,
    "error_400_stream": error_400_stream,
    "error_429_retried": error_429_retried,
    "error_429_stream_retried": error_429_stream_retried,
    "error_500_exhausted": error_500_exhausted,
    "assistant_agent": assistant_agent,
    "assistant_agent_usage": assistant_agent_usage,
}
