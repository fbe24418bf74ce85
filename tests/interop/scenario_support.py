"""What the interop scenarios of both agent frameworks share: the contact surface with the rendered package's
scripted server, the context one scenario runs in, and running one scenario.

Imported by `scenarios.py` (the lane's scenario process, in the clients environment), never by this
repository's own tests: it needs the rendered project's `tests` package on the path.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx

MODEL = "scripted-model"
TIMEOUT = 20.0
SCENARIO_TIMEOUT = 60.0
MAX_RETRIES = 2

# What the scenarios of both frameworks ask and expect, in plain terms each framework wraps in its own types.
SYSTEM = "You are terse."
TASK = "Tell me a story."
STORY = "Once upon a time, a small agent learned to call tools through a proxy, and lived happily ever after."
WEATHER_TASK = "Weather and time in Paris?"
CALLS = [("call_w1", "get_weather", {"city": "Paris"}), ("call_t1", "get_time", {"zone": "CET"})]
NAMED_CHOICE = {"type": "function", "function": {"name": "get_weather"}}
"""How a choice of the tool `get_weather` reaches the upstream (OpenAI's Chat Completions)."""
PROXY_REFUSAL = "No connected db"
"""LiteLLM's refusal of a key other than its master key: without a database it cannot look one up (HTTP 400)."""


async def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


async def get_time(zone: str) -> str:
    """The time in a time zone."""
    return f"10:00 {zone}"


async def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


# ---- contact surface with the generated package's tests: its scripted server ---------------------------------


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


def status_in_chain(exc: BaseException, status_error: type[BaseException]) -> int | None:
    """The `status_code` of the first `status_error` among `exc` and the exceptions it was raised from."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, status_error):
            return int(getattr(seen, "status_code"))  # noqa: B009 - every status error class here has one
        seen = seen.__cause__
    return None


# ---- one scenario's context -------------------------------------------------------------------------------------

C = TypeVar("C")


@dataclass
class ClientKind(Generic[C]):
    """One kind of client: how to build and close one, and how to read the HTTP status out of its errors."""

    name: str
    make: Callable[..., C]
    """`make(base_url=, api_key=, max_retries=, **settings)`"""
    close: Callable[[C], Awaitable[None]]
    status_of: Callable[[BaseException], int | None]
    stream_kwargs: Mapping[str, Any] = field(default_factory=dict[str, Any])
    """What a direct streamed call adds, if the client needs telling to report usage in a stream."""


class ScenarioFailed(AssertionError):
    pass


def check(condition: object, message: str) -> None:
    if not condition:
        raise ScenarioFailed(message)


@dataclass
class Run(Generic[C]):
    """What a scenario works with: the client kind, the upstream it scripts, and the proxy it calls."""

    kind: ClientKind[C]
    scripted: Scripted
    upstream: Any
    proxy_url: str
    proxy_key: str
    clients: list[C] = field(default_factory=list)
    seen_before: int = 0
    queued: int = 0

    def client(self, max_retries: int = MAX_RETRIES, api_key: str | None = None, **settings: Any) -> C:
        """A client of this kind pointed at the proxy; closed when the scenario ends."""
        client = self.kind.make(
            base_url=self.proxy_url, api_key=api_key or self.proxy_key, max_retries=max_retries, **settings
        )
        self.clients.append(client)
        return client

    def queue(self, *steps: Any) -> None:
        self.upstream.queue(*steps)
        self.queued += len(steps)

    def scripted_calls(self) -> list[Any]:
        """`CALLS` as the upstream's tool calls."""
        return [self.scripted.tool_call(name, arguments, id=call_id) for call_id, name, arguments in CALLS]

    @property
    def sent(self) -> list[dict[str, Any]]:
        """The chat-completion bodies the upstream received (from LiteLLM) during this scenario."""
        return chat_bodies(self.upstream)[self.seen_before :]

    @property
    def unused(self) -> int:
        """Steps queued in this scenario that no request consumed (each request consumes one)."""
        return max(0, self.queued - len(self.sent))

    async def expect_status(self, call: Awaitable[object], status: int, message: str) -> None:
        """`call` fails with an HTTP-status error of `status` that carries the upstream's `message`."""
        try:
            await call
        except Exception as exc:
            got = self.kind.status_of(exc)
            check(got == status, f"raised {type(exc).__name__} with status {got}, expected {status}: {exc}")
            check(message in str(exc), f"the upstream's message {message!r} is not in the error: {exc}")
            return
        raise ScenarioFailed(f"no error raised for an upstream HTTP {status}")

    def expect_sent(self, count: int, why: str = "") -> None:
        check(len(self.sent) == count, f"the upstream got {len(self.sent)} requests, expected {count}{why}")

    def expect_tool_results_forwarded(self, request: int, outputs: list[tuple[str, str]]) -> None:
        """The upstream's `request` carried the assistant's `CALLS`, then each `(call id, output)` as a tool message."""
        sent = self.sent[request]["messages"]
        tool_messages = [(m.get("tool_call_id"), m.get("content")) for m in sent if m["role"] == "tool"]
        check(tool_messages == outputs, f"tool results reached it as {tool_messages}, expected {outputs}")
        assistant = next((m for m in sent if m["role"] == "assistant"), {})
        names = [call["function"]["name"] for call in assistant.get("tool_calls") or []]
        check(names == [name for _, name, _ in CALLS], f"the assistant's tool calls reached it as {assistant}")


Scenario = Callable[[Run[Any]], Awaitable[None]]


# ---- running one -------------------------------------------------------------------------------------------------


async def drain(upstream: Any, steps: int) -> None:
    """Serve the steps a failed scenario left queued, straight from the upstream, so the next one starts clean."""
    async with httpx.AsyncClient(base_url=upstream.base_url, timeout=5) as http:
        for _ in range(steps):
            await http.post("/chat/completions", json={"model": MODEL, "messages": []})


async def run_one(scenario: Scenario, run: Run[Any]) -> dict[str, Any]:
    """`{"ok", "detail", "seconds"}` of one scenario with one kind of client; its clients are closed after."""
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
            await run.kind.close(client)
        run.clients.clear()
    unused = run.unused
    if unused:
        outcome["detail"] += f" [{unused} scripted step(s) left unused]"
        outcome["ok"] = False
        await drain(run.upstream, unused)
    outcome["seconds"] = round(time.perf_counter() - started, 3)
    return outcome
