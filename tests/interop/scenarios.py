"""Interop scenarios: AutoGen model clients through a real LiteLLM proxy to a scripted upstream.

This script runs inside the lane's clients environment (`environments.clients_environment`), with the
rendered project as its working directory, never in this repository's environment:

    python scenarios.py --client autogen_example.models.ExampleChatCompletionClient --results results.json

1. It starts the rendered package's scripted OpenAI-compatible server (the *upstream*) and prints
   `upstream <base_url>`, so the caller can start LiteLLM's proxy in front of it.
2. It reads `proxy <base_url> <api_key>` from standard input.
3. It runs every scenario with the generated client, then with autogen-ext's `OpenAIChatCompletionClient`
   (the control): each scenario queues what the upstream answers, calls the client through the proxy, and
   checks what comes back against what the upstream was scripted to say (and what the upstream was sent).
   Results go to `--results` as JSON: `{scenario: {client: {"ok", "detail", "seconds"}}}`.

Everything this script knows about the generated package is in the "contact surface" section below.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
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

MODEL = "scripted-model"
MODEL_INFO = ModelInfo(
    vision=False, function_calling=True, json_output=True, family=ModelFamily.UNKNOWN, structured_output=True
)
TIMEOUT = 20.0
SCENARIO_TIMEOUT = 60.0
MAX_RETRIES = 2

# ---- contact surface with the generated package: its client class and its tests' scripted server -----------


@dataclass
class Scripted:
    """The public names of the rendered package's `tests/models/scripted_server.py`.

    `ScriptedServer()` is an async context manager with `base_url`, `queue(*steps)` (each chat-completions
    request it receives is answered with the next step) and `requests` (what it received: `target`, `body`).
    """

    server_class: Any
    reply: Any  # Reply(text=, tool_calls=, usage=, finish_reason=, chunk_size=)
    tool_call: Any  # ToolCall(name, arguments, id=)
    error_reply: Any  # ErrorReply(status, message, headers=)


def scripted_server() -> Scripted:
    sys.path.insert(0, os.getcwd())  # the rendered project: its `tests` package, not this repository's
    module = importlib.import_module("tests.models.scripted_server")
    return Scripted(module.ScriptedServer, module.Reply, module.ToolCall, module.ErrorReply)


def chat_bodies(server: Any) -> list[dict[str, Any]]:
    """The decoded chat-completions request bodies the scripted server received, in order."""
    return [json.loads(r.body) for r in server.requests if r.target.split("?")[0].endswith("/chat/completions")]


@dataclass
class ClientKind:
    """One kind of client: its class, and how to read the HTTP status out of the errors it raises."""

    name: str
    client_class: Callable[..., ChatCompletionClient]
    status_of: Callable[[BaseException], int | None]
    stream_kwargs: Mapping[str, Any] = field(default_factory=dict[str, Any])

    def make(self, base_url: str, api_key: str, max_retries: int) -> ChatCompletionClient:
        """Both classes take these constructor arguments alike."""
        return self.client_class(
            model=MODEL,
            base_url=base_url,
            api_key=api_key,
            model_info=MODEL_INFO,
            timeout=TIMEOUT,
            max_retries=max_retries,
        )


def generated_client(path: str) -> ClientKind:
    """`<package>.models.<Class>` and its `ModelAPIStatusError`; it asks for streamed usage by default."""
    module_name, _, class_name = path.rpartition(".")
    module = importlib.import_module(module_name)
    status_error = module.ModelAPIStatusError

    def status_of(exc: BaseException) -> int | None:
        return exc.status_code if isinstance(exc, status_error) else None

    return ClientKind("generated", getattr(module, class_name), status_of)


# ---- the control -----------------------------------------------------------------------------------------------


def autogen_ext_client() -> ClientKind:
    """autogen-ext's `OpenAIChatCompletionClient`, configured as its documentation says."""
    import openai
    from autogen_ext.models.openai import OpenAIChatCompletionClient

    def status_of(exc: BaseException) -> int | None:
        return exc.status_code if isinstance(exc, openai.APIStatusError) else None

    # Streamed usage is opt-in there: its documented flag.
    return ClientKind("autogen-ext", OpenAIChatCompletionClient, status_of, stream_kwargs={"include_usage": True})


# ---- one scenario's context ---------------------------------------------------------------------------------------


class ScenarioFailed(AssertionError):
    pass


def check(condition: object, message: str) -> None:
    if not condition:
        raise ScenarioFailed(message)


@dataclass
class Run:
    """What a scenario works with: the client kind, the upstream it scripts, and the proxy it calls."""

    kind: ClientKind
    scripted: Scripted
    upstream: Any
    proxy_url: str
    proxy_key: str
    clients: list[ChatCompletionClient] = field(default_factory=list[ChatCompletionClient])
    seen_before: int = 0
    queued: int = 0

    def client(self, max_retries: int = MAX_RETRIES, api_key: str | None = None) -> ChatCompletionClient:
        """A client of this kind pointed at the proxy; closed when the scenario ends."""
        client = self.kind.make(self.proxy_url, api_key or self.proxy_key, max_retries)
        self.clients.append(client)
        return client

    def queue(self, *steps: Any) -> None:
        self.upstream.queue(*steps)
        self.queued += len(steps)

    @property
    def sent(self) -> list[dict[str, Any]]:
        """The chat-completion bodies the upstream received (from LiteLLM) during this scenario."""
        return chat_bodies(self.upstream)[self.seen_before :]

    @property
    def unused(self) -> int:
        """Steps queued in this scenario that no request consumed (each request consumes one)."""
        return max(0, self.queued - len(self.sent))

    async def stream(self, client: ChatCompletionClient, messages: Sequence[LLMMessage], **kwargs: Any) -> Streamed:
        chunks: list[str] = []
        results: list[CreateResult] = []
        async for item in client.create_stream(messages, **self.kind.stream_kwargs, **kwargs):
            if isinstance(item, CreateResult):
                results.append(item)
            else:
                check(not results, f"a text chunk arrived after the final result: {item!r}")
                chunks.append(item)
        check(len(results) == 1, f"expected exactly one final CreateResult, got {len(results)}")
        return Streamed(chunks, results[0])

    async def call(
        self, client: ChatCompletionClient, messages: Sequence[LLMMessage], *, streamed: bool, **kwargs: Any
    ) -> CreateResult:
        """`create_stream`'s final result if `streamed`, else `create`'s."""
        if streamed:
            return (await self.stream(client, messages, **kwargs)).result
        return await client.create(messages, **kwargs)


@dataclass
class Streamed:
    chunks: list[str]
    result: CreateResult


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
    for call in content:
        check(isinstance(call, FunctionCall), f"not a FunctionCall: {call!r}")
        try:
            arguments = json.loads(call.arguments)
        except ValueError:
            arguments = call.arguments
        got.append((call.id, call.name, arguments))
    check(got == list(expected), f"tool calls {got}, expected {list(expected)}")
    return list(content)


# ---- the scenarios -----------------------------------------------------------------------------------------------

PROMPT = [SystemMessage(content="You are terse."), UserMessage(content="Tell me a story.", source="user")]
STORY = "Once upon a time, a small agent learned to call tools through a proxy, and lived happily ever after."


async def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


async def get_time(zone: str) -> str:
    """The time in a time zone."""
    return f"10:00 {zone}"


TOOLS = [FunctionTool(get_weather, description="The weather in a city."), FunctionTool(get_time, "The time.")]
CALLS = [("call_w1", "get_weather", {"city": "Paris"}), ("call_t1", "get_time", {"zone": "CET"})]
WEATHER_QUESTION = UserMessage(content="Weather and time in Paris?", source="user")


def scripted_calls(run: Run) -> list[Any]:
    return [run.scripted.tool_call(name, arguments, id=call_id) for call_id, name, arguments in CALLS]


async def create(run: Run) -> None:
    run.queue(run.scripted.reply(text=STORY, usage=(21, 17)))
    result = await run.client().create(PROMPT)
    expect_result(result, STORY, "stop", (21, 17))
    check(len(run.sent) == 1, f"upstream got {len(run.sent)} requests, expected 1")
    check(run.sent[0]["messages"][-1]["content"] == "Tell me a story.", "the prompt did not reach the upstream")


async def create_stream(run: Run) -> None:
    run.queue(run.scripted.reply(text=STORY, usage=(21, 17), chunk_size=5))
    streamed = await run.stream(run.client(), PROMPT)
    check(len(streamed.chunks) > 1, f"not streamed: {len(streamed.chunks)} chunk(s)")
    check("".join(streamed.chunks) == STORY, f"chunks join to {''.join(streamed.chunks)!r}")
    expect_result(streamed.result, STORY, "stop", (21, 17))


async def truncated_stream(run: Run) -> None:
    run.queue(run.scripted.reply(text="Once upon a", finish_reason="length", usage=(21, 3), chunk_size=4))
    streamed = await run.stream(run.client(), PROMPT)
    expect_result(streamed.result, "Once upon a", "length", (21, 3))


async def _tool_round(run: Run, streamed: bool) -> None:
    client = run.client()
    run.queue(run.scripted.reply(tool_calls=scripted_calls(run), chunk_size=3))
    result = await run.call(client, [WEATHER_QUESTION], streamed=streamed, tools=TOOLS)
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
    expect_result(await run.call(client, history, streamed=streamed, tools=TOOLS), answer, "stop", (60, 9))
    sent = run.sent[1]["messages"]
    tool_messages = [(m.get("tool_call_id"), m.get("content")) for m in sent if m["role"] == "tool"]
    check(tool_messages == [(c.id, f"output of {c.id}") for c in calls], f"tool results reached it as {tool_messages}")
    assistant = next((m for m in sent if m["role"] == "assistant"), {})
    names = [call["function"]["name"] for call in assistant.get("tool_calls") or []]
    check(names == ["get_weather", "get_time"], f"the assistant's tool calls reached it as {assistant}")


async def tool_calls(run: Run) -> None:
    await _tool_round(run, streamed=False)


async def tool_calls_stream(run: Run) -> None:
    await _tool_round(run, streamed=True)


async def tool_choice_forced(run: Run) -> None:
    run.queue(run.scripted.reply(tool_calls=scripted_calls(run)[:1]))
    result = await run.client().create([WEATHER_QUESTION], tools=TOOLS, tool_choice=TOOLS[0])
    expect_calls(result.content, CALLS[:1])
    choice = run.sent[0].get("tool_choice")
    check(choice == {"type": "function", "function": {"name": "get_weather"}}, f"upstream got tool_choice {choice!r}")


async def json_mode(run: Run) -> None:
    run.queue(run.scripted.reply(text='{"answer": 42, "unit": "none"}'))
    result = await run.client().create([UserMessage(content="Answer in JSON.", source="user")], json_output=True)
    text = text_of(result)
    check(json.loads(text) == {"answer": 42, "unit": "none"}, f"content {text!r}")
    fmt = run.sent[0].get("response_format")
    check(fmt == {"type": "json_object"}, f"upstream got response_format {fmt!r}")


class Forecast(BaseModel):
    city: str
    temperature_c: int


async def structured_output(run: Run) -> None:
    run.queue(run.scripted.reply(text=Forecast(city="Paris", temperature_c=21).model_dump_json()))
    question = [UserMessage(content="Forecast for Paris.", source="user")]
    text = text_of(await run.client().create(question, json_output=Forecast))
    check(Forecast.model_validate_json(text) == Forecast(city="Paris", temperature_c=21), f"content {text!r}")
    fmt = run.sent[0].get("response_format") or {}
    check(fmt.get("type") == "json_schema", f"upstream got response_format {fmt!r}")
    properties = set(fmt.get("json_schema", {}).get("schema", {}).get("properties", {}))
    check(properties == {"city", "temperature_c"}, f"upstream got the schema {fmt!r}")


async def _expect_status(run: Run, call: Awaitable[object], status: int, message: str) -> None:
    try:
        await call
    except Exception as exc:
        got = run.kind.status_of(exc)
        check(got == status, f"raised {type(exc).__name__} with status {got}, expected {status}: {exc}")
        check(message in str(exc), f"the upstream's message {message!r} is not in the error: {exc}")
        return
    raise ScenarioFailed(f"no error raised for an upstream HTTP {status}")


async def wrong_api_key(run: Run) -> None:
    # LiteLLM itself refuses the key, with its own status and body: without a database it cannot look up
    # a key other than the master key, and says so with HTTP 400.
    client = run.client(api_key="sk-not-the-proxy-key")
    await _expect_status(run, client.create(PROMPT), 400, "No connected db")
    check(not run.sent, f"the upstream got {len(run.sent)} requests")


async def error_400(run: Run) -> None:
    run.queue(run.scripted.error_reply(400, "unsupported parameter: frobnicate"))
    await _expect_status(run, run.client().create(PROMPT), 400, "unsupported parameter: frobnicate")
    check(len(run.sent) == 1, f"a 400 was retried: the upstream got {len(run.sent)} requests")


async def error_400_stream(run: Run) -> None:
    run.queue(run.scripted.error_reply(400, "unsupported parameter: frobnicate"))
    await _expect_status(run, run.stream(run.client(), PROMPT), 400, "unsupported parameter: frobnicate")
    check(len(run.sent) == 1, f"a 400 was retried: the upstream got {len(run.sent)} requests")


async def error_429_retried(run: Run) -> None:
    run.queue(run.scripted.error_reply(429, "slow down", headers={"Retry-After": "0"}), run.scripted.reply(text=STORY))
    result = await run.client().create(PROMPT)
    expect_result(result, STORY, "stop", None)
    check(len(run.sent) == 2, f"the upstream got {len(run.sent)} requests, expected 2 (one retry)")


async def error_429_stream_retried(run: Run) -> None:
    run.queue(run.scripted.error_reply(429, "slow down", headers={"Retry-After": "0"}), run.scripted.reply(text=STORY))
    streamed = await run.stream(run.client(), PROMPT)
    expect_result(streamed.result, STORY, "stop", None)
    check(len(run.sent) == 2, f"the upstream got {len(run.sent)} requests, expected 2 (one retry)")


async def error_500_exhausted(run: Run) -> None:
    run.queue(*[run.scripted.error_reply(500, "upstream exploded") for _ in range(2)])
    await _expect_status(run, run.client(max_retries=1).create(PROMPT), 500, "upstream exploded")
    check(len(run.sent) == 2, f"the upstream got {len(run.sent)} requests, expected 2 (max_retries=1)")


async def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


async def assistant_agent(run: Run) -> None:
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
    check(len(run.sent) == 2, f"the upstream got {len(run.sent)} requests, expected 2")
    tool_message = [m for m in run.sent[1]["messages"] if m["role"] == "tool"]
    check([(m["tool_call_id"], m["content"]) for m in tool_message] == [("call_add", "5")], f"sent {tool_message}")


async def assistant_agent_usage(run: Run) -> None:
    """Token usage of a streamed agent run, with each client's default settings."""
    run.queue(run.scripted.reply(text="Hello!", usage=(30, 2), chunk_size=2))
    agent = AssistantAgent("greeter", model_client=run.client(), model_client_stream=True)
    result = await agent.run(task="Say hello.")
    final = result.messages[-1]
    usage = final.models_usage
    got = (usage.prompt_tokens, usage.completion_tokens) if usage else None
    check(got == (30, 2), f"the agent's reply reports usage {got}, the upstream reported (30, 2)")


Scenario = Callable[[Run], Awaitable[None]]
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


# ---- running them ---------------------------------------------------------------------------------------------


async def drain(upstream: Any, steps: int) -> None:
    """Serve the steps a failed scenario left queued, straight from the upstream, so the next one starts clean."""
    async with httpx.AsyncClient(base_url=upstream.base_url, timeout=5) as http:
        for _ in range(steps):
            await http.post("/chat/completions", json={"model": MODEL, "messages": []})


async def run_one(scenario: Scenario, run: Run) -> dict[str, Any]:
    run.seen_before = len(chat_bodies(run.upstream))
    started = time.perf_counter()
    try:
        await asyncio.wait_for(scenario(run), SCENARIO_TIMEOUT)
        outcome: dict[str, Any] = {"ok": True, "detail": ""}
    except ScenarioFailed as exc:
        outcome = {"ok": False, "detail": str(exc)}
    except Exception as exc:
        last = traceback.extract_tb(exc.__traceback__)[-1]
        outcome = {"ok": False, "detail": f"{type(exc).__name__}: {exc} (at {last.filename}:{last.lineno})"}
    finally:
        for client in run.clients:
            await client.close()
        run.clients.clear()
    unused = run.unused
    if unused:
        outcome["detail"] += f" [{unused} scripted step(s) left unused]"
        outcome["ok"] = False
        await drain(run.upstream, unused)
    outcome["seconds"] = round(time.perf_counter() - started, 3)
    return outcome


async def serve_and_run(client_path: str, results_path: str) -> None:
    scripted = scripted_server()
    kinds = [generated_client(client_path), autogen_ext_client()]
    async with scripted.server_class() as upstream:
        print(f"upstream {upstream.base_url}", flush=True)
        line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        word, proxy_url, proxy_key = line.split()
        if word != "proxy":
            raise SystemExit(f"expected 'proxy <url> <key>', got {line!r}")
        results: dict[str, dict[str, Any]] = {}
        for name, scenario in SCENARIOS.items():
            results[name] = {}
            for kind in kinds:
                run = Run(kind, scripted, upstream, proxy_url, proxy_key)
                results[name][kind.name] = await run_one(scenario, run)
    with open(results_path, "w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=2)
    print("done", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--client", required=True, help="import path of the generated client class")
    parser.add_argument("--results", required=True, help="where to write the results (JSON)")
    args = parser.parse_args()
    asyncio.run(serve_and_run(args.client, args.results))


if __name__ == "__main__":
    main()
