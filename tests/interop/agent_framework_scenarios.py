"""Interop scenarios for Agent Framework: chat clients through a real LiteLLM proxy to a scripted upstream.

Each scenario runs with the generated chat client `<package>.models.agent_framework.<Class>` and, as the control,
`agent-framework-openai`'s `OpenAIChatCompletionClient`, mostly inside an `Agent` (how Agent Framework users
call a chat client), otherwise through `get_response`. `scenarios.py` runs them; the contact surface with the
generated package is `generated_client` below and `scenario_support`.
"""

from __future__ import annotations

import importlib
import json
from typing import Any, TypeAlias

from agent_framework import Agent, AgentResponse, BaseChatClient, ChatResponse, Message, tool
from agent_framework.exceptions import ChatClientException
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

MODEL_INFO = {
    "vision": False,
    "function_calling": True,
    "json_output": True,
    "family": "unknown",
    "structured_output": True,
}
"""The generated client's `model_info` (the package's own `ModelInfo`, AutoGen's keys)."""
AgentFrameworkRun: TypeAlias = Run[BaseChatClient[Any]]
TOOLS = [tool(get_weather), tool(get_time)]


def _status_of(status_error: type[BaseException]) -> Any:
    """Both raise Agent Framework's `ChatClientException`, raised from their own HTTP-status error."""

    def status_of(exc: BaseException) -> int | None:
        return status_in_chain(exc, status_error) if isinstance(exc, ChatClientException) else None

    return status_of


def generated_client(path: str) -> ClientKind[Any]:
    """`<package>.models.agent_framework.<Class>` (the AutoGen client's path with `.agent_framework`)."""
    package_path, _, class_name = path.rpartition(".")
    client_class = getattr(importlib.import_module(f"{package_path}.agent_framework"), class_name)
    status_error = importlib.import_module(package_path).ModelAPIStatusError

    def make(*, base_url: str, api_key: str, max_retries: int, **settings: Any) -> BaseChatClient[Any]:
        return client_class(
            model=MODEL,
            base_url=base_url,
            api_key=api_key,
            model_info=MODEL_INFO,
            timeout=TIMEOUT,
            max_retries=max_retries,
            **settings,
        )

    async def close(client: Any) -> None:
        await client.close()

    return ClientKind("generated", make, close, _status_of(status_error))


def control_client() -> ClientKind[Any]:
    """`agent-framework-openai`'s chat-completions client, given an `AsyncOpenAI` for the timeout and retries
    (its documented `async_client` argument: it takes neither setting itself)."""
    import openai
    from agent_framework_openai import OpenAIChatCompletionClient

    def make(*, base_url: str, api_key: str, max_retries: int, **settings: Any) -> BaseChatClient[Any]:
        http = openai.AsyncOpenAI(base_url=base_url, api_key=api_key, timeout=TIMEOUT, max_retries=max_retries)
        return OpenAIChatCompletionClient(MODEL, async_client=http, **settings)

    async def close(client: Any) -> None:
        await client.client.close()

    return ClientKind("agent-framework-openai", make, close, _status_of(openai.APIStatusError))


# ---- what the scenarios check -----------------------------------------------------------------------------------


async def run_agent(agent: Agent[Any], task: str, *, streamed: bool, **kwargs: Any) -> tuple[list[str], Any]:
    """The text updates and the final response of one run; a stream's updates must add up to its text."""
    if not streamed:
        return [], await agent.run(task, **kwargs)
    stream = agent.run(task, stream=True, **kwargs)
    chunks = [update.text async for update in stream if update.text]
    final = await stream.get_final_response()
    check("".join(chunks) == final.text, f"updates join to {''.join(chunks)!r}, the response says {final.text!r}")
    return chunks, final


async def get_response(client: BaseChatClient[Any], text: str, *, streamed: bool, **options: Any) -> ChatResponse[Any]:
    messages = [Message(role="user", contents=[text])]
    if not streamed:
        return await client.get_response(messages, options=options)
    return await client.get_response(messages, stream=True, options=options).get_final_response()


def usage(response: AgentResponse[Any] | ChatResponse[Any]) -> tuple[int | None, ...]:
    details = response.usage_details or {}
    return tuple(details.get(key) for key in ("input_token_count", "output_token_count", "total_token_count"))


def expect(got: object, expected: object, what: str) -> None:
    check(got == expected, f"{what} {got!r}, expected {expected!r}")


def sent_roles(run: AgentFrameworkRun, request: int = 0) -> list[tuple[str, Any]]:
    return [(m["role"], m.get("content")) for m in run.sent[request]["messages"]]


# ---- the scenarios -----------------------------------------------------------------------------------------------


async def _agent_run(run: AgentFrameworkRun, streamed: bool) -> None:
    run.queue(run.scripted.reply(text=STORY, usage=(21, 17), chunk_size=5))
    chunks, response = await run_agent(Agent(run.client(), SYSTEM), TASK, streamed=streamed)
    expect(response.text, STORY, "text")
    expect(usage(response), (21, 17, 38), "usage")
    if streamed:
        check(len(chunks) > 1, f"not streamed: {len(chunks)} update(s)")
    run.expect_sent(1)
    expect(sent_roles(run), [("system", SYSTEM), ("user", TASK)], "the upstream got the messages")
    expect(run.sent[0].get("stream", False), streamed, "the upstream got stream=")


async def agent_run(run: AgentFrameworkRun) -> None:
    await _agent_run(run, streamed=False)


async def agent_run_stream(run: AgentFrameworkRun) -> None:
    await _agent_run(run, streamed=True)


async def truncated_stream(run: AgentFrameworkRun) -> None:
    run.queue(run.scripted.reply(text="Once upon a", finish_reason="length", usage=(21, 3), chunk_size=4))
    response = await get_response(run.client(), TASK, streamed=True)
    expect((response.text, response.finish_reason, usage(response)), ("Once upon a", "length", (21, 3, 24)), "got")


async def _tool_loop(run: AgentFrameworkRun, streamed: bool) -> None:
    answer = "Sunny in Paris, and it is 10:00."
    run.queue(
        run.scripted.reply(tool_calls=run.scripted_calls(), usage=(50, 12), chunk_size=3),
        run.scripted.reply(text=answer, usage=(60, 9), chunk_size=4),
    )
    _, response = await run_agent(Agent(run.client(), SYSTEM, tools=TOOLS), WEATHER_TASK, streamed=streamed)
    expect(response.text, answer, "the agent's answer")
    expect(usage(response), (110, 21, 131), "usage over both calls")
    run.expect_sent(2)
    for sent in run.sent:
        offered = [item["function"]["name"] for item in sent.get("tools", [])]
        expect(offered, ["get_weather", "get_time"], "the upstream was offered tools")
    run.expect_tool_results_forwarded(1, [("call_w1", "sunny in Paris"), ("call_t1", "10:00 CET")])


async def tool_loop(run: AgentFrameworkRun) -> None:
    await _tool_loop(run, streamed=False)


async def tool_loop_stream(run: AgentFrameworkRun) -> None:
    await _tool_loop(run, streamed=True)


async def tool_choice_forced(run: AgentFrameworkRun) -> None:
    run.queue(run.scripted.reply(tool_calls=run.scripted_calls()[:1]))
    client = run.client(function_invocation_configuration={"enabled": False})
    choice = {"mode": "required", "required_function_name": "get_weather"}
    response = await get_response(client, WEATHER_TASK, streamed=False, tools=TOOLS, tool_choice=choice)
    calls = [c for message in response.messages for c in message.contents if c.type == "function_call"]
    got = [(c.call_id, c.name, json.loads(str(c.arguments))) for c in calls]
    expect(got, CALLS[:1], "tool calls")
    expect(run.sent[0].get("tool_choice"), NAMED_CHOICE, "the upstream got tool_choice")


async def json_mode(run: AgentFrameworkRun) -> None:
    run.queue(run.scripted.reply(text='{"answer": 42, "unit": "none"}'))
    agent = Agent(run.client(), "Answer in JSON.")
    response = await agent.run("The answer?", options={"response_format": {"type": "json_object"}})
    expect(response.value, {"answer": 42, "unit": "none"}, "value")
    expect(run.sent[0].get("response_format"), {"type": "json_object"}, "the upstream got response_format")


class Forecast(BaseModel):
    city: str
    temperature_c: int


async def _structured_output(run: AgentFrameworkRun, streamed: bool) -> None:
    run.queue(run.scripted.reply(text=Forecast(city="Paris", temperature_c=21).model_dump_json(), chunk_size=7))
    agent = Agent(run.client(), "Answer in JSON.")
    _, response = await run_agent(
        agent, "Forecast for Paris.", streamed=streamed, options={"response_format": Forecast}
    )
    expect(response.value, Forecast(city="Paris", temperature_c=21), "value")
    fmt = run.sent[0].get("response_format") or {}
    check(fmt.get("type") == "json_schema", f"upstream got response_format {fmt!r}")
    properties = set(fmt.get("json_schema", {}).get("schema", {}).get("properties", {}))
    expect(properties, {"city", "temperature_c"}, "the schema's properties")


async def structured_output(run: AgentFrameworkRun) -> None:
    await _structured_output(run, streamed=False)


async def structured_output_stream(run: AgentFrameworkRun) -> None:
    await _structured_output(run, streamed=True)


async def wrong_api_key(run: AgentFrameworkRun) -> None:
    agent = Agent(run.client(api_key="sk-not-the-proxy-key"))
    await run.expect_status(agent.run(TASK), 400, PROXY_REFUSAL)
    run.expect_sent(0)


async def error_400(run: AgentFrameworkRun) -> None:
    run.queue(run.scripted.error_reply(400, "unsupported parameter: frobnicate"))
    await run.expect_status(Agent(run.client()).run(TASK), 400, "unsupported parameter: frobnicate")
    run.expect_sent(1, " (a 400 is not retried)")


async def error_400_stream(run: AgentFrameworkRun) -> None:
    run.queue(run.scripted.error_reply(400, "unsupported parameter: frobnicate"))
    agent = Agent(run.client())
    await run.expect_status(run_agent(agent, TASK, streamed=True), 400, "unsupported parameter: frobnicate")
    run.expect_sent(1, " (a 400 is not retried)")


async def _retried_429(run: AgentFrameworkRun, streamed: bool) -> None:
    run.queue(run.scripted.error_reply(429, "slow down", headers={"Retry-After": "0"}), run.scripted.reply(text=STORY))
    _, response = await run_agent(Agent(run.client()), TASK, streamed=streamed)
    expect(response.text, STORY, "text")
    run.expect_sent(2, " (one retry)")


async def error_429_retried(run: AgentFrameworkRun) -> None:
    await _retried_429(run, streamed=False)


async def error_429_stream_retried(run: AgentFrameworkRun) -> None:
    await _retried_429(run, streamed=True)


async def error_500_exhausted(run: AgentFrameworkRun) -> None:
    run.queue(*[run.scripted.error_reply(500, "upstream exploded") for _ in range(2)])
    await run.expect_status(Agent(run.client(max_retries=1)).run(TASK), 500, "upstream exploded")
    run.expect_sent(2, " (max_retries=1)")


async def session_conversation(run: AgentFrameworkRun) -> None:
    """A session's second run sends the first run's tool call, its result and the answer back."""
    run.queue(
        run.scripted.reply(tool_calls=[run.scripted.tool_call("add", {"a": 2, "b": 3}, id="call_add")]),
        run.scripted.reply(text="2 + 3 = 5."),
        run.scripted.reply(text="You asked me to add 2 and 3."),
    )
    agent = Agent(run.client(), SYSTEM, tools=[tool(add)])
    session = agent.create_session()
    await agent.run("What is 2 + 3?", session=session)
    response = await agent.run("What did I ask?", session=session)
    expect(response.text, "You asked me to add 2 and 3.", "the second answer")
    run.expect_sent(3)
    roles = [(role, content) for role, content in sent_roles(run, 2) if role != "assistant"]
    expected = [("system", SYSTEM), ("user", "What is 2 + 3?"), ("tool", "5"), ("user", "What did I ask?")]
    expect(roles, expected, "the third request's messages other than the assistant's")
    answers = [m for m in run.sent[2]["messages"] if m["role"] == "assistant"]
    expect([m.get("content") or None for m in answers], [None, "2 + 3 = 5."], "the assistant's turns sent back")
    expect(answers[0]["tool_calls"][0]["id"], "call_add", "the tool call sent back")


SCENARIOS: dict[str, Scenario] = {
    "agent_run": agent_run,
    "agent_run_stream": agent_run_stream,
    "truncated_stream": truncated_stream,
    "tool_loop": tool_loop,
    "tool_loop_stream": tool_loop_stream,
    "tool_choice_forced": tool_choice_forced,
    "json_mode": json_mode,
    "structured_output": structured_output,
    "structured_output_stream": structured_output_stream,
    "wrong_api_key": wrong_api_key,
    "error_400": error_400,
    "error_400_stream": error_400_stream,
    "error_429_retried": error_429_retried,
    "error_429_stream_retried": error_429_stream_retried,
    "error_500_exhausted": error_500_exhausted,
    "session_conversation": session_conversation,
}
