"""Speed of the generated model client's two fronts against each framework's own OpenAI client and bare httpx.

    uv run python benchmarks/model_client.py            # or: python benchmarks/model_client.py [--rounds 5]

What it does, in one run (about a minute on 2 cores, most of it creating the environment):

1. renders the template (working tree) with `components=[model_client]` and both frameworks into a temporary
   directory;
2. creates a virtual environment there with uv, holding the rendered package with its `agent-framework` extra,
   `autogen-ext[openai]==0.7.5`, `agent-framework-openai` and httpx;
3. starts the rendered package's scripted OpenAI-compatible server (`tests/models/scripted_server.py`) in a
   separate process, so serving never competes with the clients for one event loop;
4. in another process, drives the same server with the generated AutoGen client, autogen-ext's
   `OpenAIChatCompletionClient` and a bare httpx loop (the floor: one POST, `json.loads`, no framework types),
   then with the generated Agent Framework chat client and Agent Framework's own `OpenAIChatCompletionClient`
   (`agent-framework-openai`), non-streaming and streaming, one request at a time and 32 at once, and prints
   requests/s side by side with the ratios, one table per framework.

Each cell is the best of `--rounds` short rounds (default 5); the clients take turns within a round, so
drift and other load on the machine hit them alike, and the best round is the least disturbed. The goals:
the generated AutoGen client at least as fast as autogen-ext's (`gen/ext` >= 1.0) and within 1.25x of bare
httpx (`httpx/gen` <= 1.25); the generated Agent Framework client at least as fast as Agent Framework's own
(`gen/maf` >= 1.0). The same file runs as the server (`--serve`) and as the measurement
(`--measure`) inside the environment it creates.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PYTHON = "3.11"
MODEL = "bench-model"
# The reply every request gets: about 60 tokens, streamed as 24 server-sent events.
TEXT = "Once upon a time, a small agent learned to call tools, stream replies, and retry politely."
CHUNK_SIZE = 4
USAGE = (24, 60)
CONCURRENCY = 32
# (label, streamed, concurrency, requests per round)
SCENARIOS = [
    ("create, sequential", False, 1, 200),
    ("create, 32 concurrent", False, CONCURRENCY, 600),
    ("create_stream, sequential", True, 1, 120),
    ("create_stream, 32 concurrent", True, CONCURRENCY, 300),
]


# ---- orchestration (runs in the repository's environment) ---------------------------------------------------


def _run(command: list[str], **kwargs: Any) -> None:
    subprocess.run(command, check=True, **kwargs)


def orchestrate(python: str, rounds: int) -> None:
    from hooks.interpreters import find_python
    from hooks.render import render, snapshot

    python = find_python(python) or python  # pyenv versions without a shim are found too

    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    with tempfile.TemporaryDirectory(prefix="bench-model-client-") as tmp:
        started = time.perf_counter()
        answers = {"components": ["model_client"], "frameworks": ["autogen", "agent_framework"]}
        project = render(answers, Path(tmp) / "project", source=snapshot(Path(tmp) / "tpl"))
        recorded = (project / ".copier-answers.yml").read_text()
        package = next(
            line.split(":", 1)[1].strip() for line in recorded.splitlines() if line.startswith("package_name")
        )
        client_class = next(
            line.split(":", 1)[1].strip() for line in recorded.splitlines() if line.startswith("model_client_class")
        )
        venv = Path(tmp) / "venv"
        _run(["uv", "venv", "-q", "-p", python, str(venv)], env=env)
        venv_python = str(venv / "bin" / "python")
        _run(
            [
                *("uv", "pip", "install", "-q", "-p", venv_python, f"{project}[agent-framework]"),
                *("autogen-ext[openai]==0.7.5", "agent-framework-openai", "httpx"),
            ],
            env=env,
        )
        print(f"environment ready in {time.perf_counter() - started:.0f}s ({python})", flush=True)

        server = subprocess.Popen(
            [venv_python, __file__, "--serve"], cwd=project, stdout=subprocess.PIPE, text=True, env=env
        )
        try:
            assert server.stdout is not None
            base_url = server.stdout.readline().strip()
            if not base_url.startswith("http://127.0.0.1:"):
                raise RuntimeError(f"scripted server did not start (got {base_url!r})")
            _run(
                [venv_python, __file__, "--measure", base_url, f"{package}.models.{client_class}", str(rounds)],
                cwd=tmp,
                env=env,
            )
        finally:
            server.terminate()
            server.wait(timeout=10)


# ---- the server process (runs inside the created environment, in the rendered project) ----------------------


def serve() -> None:
    sys.path.insert(0, os.getcwd())
    scripted = importlib.import_module("tests.models.scripted_server")

    async def main() -> None:
        reply = scripted.Reply(text=TEXT, usage=USAGE, chunk_size=CHUNK_SIZE)
        async with scripted.ScriptedServer(default=reply) as server:
            print(server.base_url, flush=True)
            while True:  # until the orchestrator terminates this process
                await asyncio.sleep(0.5)
                # The test server records every request; forgetting them keeps its memory (and GC pauses) flat.
                server.requests.clear()
                server.sent.clear()

    asyncio.run(main())


# ---- the measurement process (runs inside the created environment) ------------------------------------------


async def _rate(call: Callable[[], Awaitable[None]], total: int, concurrency: int) -> float:
    remaining = iter(range(total))

    async def worker() -> None:
        for _ in remaining:  # shared by all workers: each request is taken exactly once
            await call()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return total / (time.perf_counter() - started)


async def measure(base_url: str, client_path: str, rounds: int) -> None:
    from autogen_core import CancellationToken
    from autogen_core.models import CreateResult, ModelFamily, ModelInfo, UserMessage
    from autogen_ext.models.openai import OpenAIChatCompletionClient

    module, _, name = client_path.rpartition(".")
    generated_class = getattr(importlib.import_module(module), name)
    info = ModelInfo(
        vision=False, function_calling=True, json_output=True, family=ModelFamily.UNKNOWN, structured_output=True
    )
    messages = [UserMessage(content="Tell me a very short story.", source="user")]
    generated = generated_class(model=MODEL, base_url=base_url, api_key="sk-bench", model_info=info)
    ext = OpenAIChatCompletionClient(model=MODEL, base_url=base_url, api_key="sk-bench", model_info=info)

    def check(result: CreateResult) -> None:
        if result.content != TEXT or result.usage.completion_tokens != USAGE[1]:
            raise AssertionError(f"unexpected result: {result}")

    # Both AutoGen clients get a cancellation token, as AssistantAgent always passes one.
    async def generated_create() -> None:
        check(await generated.create(messages, cancellation_token=CancellationToken()))

    async def generated_stream() -> None:
        async for chunk in generated.create_stream(messages, cancellation_token=CancellationToken()):
            if isinstance(chunk, CreateResult):
                check(chunk)

    async def ext_create() -> None:
        check(await ext.create(messages, cancellation_token=CancellationToken()))

    async def ext_stream() -> None:
        # Ask for usage in the stream, as the generated client does by default.
        usage = {"stream_options": {"include_usage": True}}
        async for chunk in ext.create_stream(messages, extra_create_args=usage, cancellation_token=CancellationToken()):
            if isinstance(chunk, CreateResult):
                check(chunk)

    httpx_create, httpx_stream, close_httpx = _httpx_calls(base_url)
    autogen = {
        "generated": (generated_create, generated_stream),
        "autogen-ext": (ext_create, ext_stream),
        "bare httpx": (httpx_create, httpx_stream),
    }
    print(
        f"\n{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"best of {rounds} rounds, requests/s (higher is better)"
    )
    _table("AutoGen", "autogen-ext", "gen/ext", await _best_rates(autogen, rounds))
    await generated.close()
    await ext.close()
    agent_framework = _agent_framework_clients(base_url, f"{module}.agent_framework.{name}")
    _table("Agent Framework", "maf openai", "gen/maf", await _best_rates(agent_framework, rounds))
    print(
        "\ngen/ext and gen/maf >= 1.00: at least as fast as the framework's own OpenAI client;"
        "  httpx/gen <= 1.25 (AutoGen): within 1.25x of bare httpx"
    )
    await close_httpx()


Call = Callable[[], Awaitable[None]]


async def _best_rates(clients: dict[str, tuple[Call, Call]], rounds: int) -> list[tuple[str, dict[str, float]]]:
    """Each scenario's best rate per client; the clients take turns within a round."""
    for create, stream in clients.values():  # warm-up: connections, imports, caches
        await _rate(create, 40, 8)
        await _rate(stream, 40, 8)
    rows: list[tuple[str, dict[str, float]]] = []
    names = list(clients)
    for label, streamed, concurrency, total in SCENARIOS:
        best = dict.fromkeys(names, 0.0)
        for round_number in range(rounds):
            order = names[round_number % len(names) :] + names[: round_number % len(names)]
            for client_name in order:
                call = clients[client_name][1 if streamed else 0]
                best[client_name] = max(best[client_name], await _rate(call, total, concurrency))
        rows.append((label, best))
    return rows


def _table(framework: str, control: str, ratio: str, rows: list[tuple[str, dict[str, float]]]) -> None:
    header = f"{framework:<30}{'generated':>11}{control:>13}{'bare httpx':>12}{ratio:>10}{'httpx/gen':>11}"
    print(f"\n{header}\n{'-' * len(header)}")
    for label, best in rows:
        gen, other, floor = best["generated"], best[control], best["bare httpx"]
        print(f"{label:<30}{gen:>11.0f}{other:>13.0f}{floor:>12.0f}{gen / other:>9.2f}x{floor / gen:>10.2f}x")


def _agent_framework_clients(base_url: str, client_path: str) -> dict[str, tuple[Call, Call]]:
    """The generated Agent Framework chat client, Agent Framework's own OpenAI client and the floor."""
    from agent_framework import ChatResponse, Message
    from agent_framework_openai import OpenAIChatCompletionClient

    module, _, name = client_path.rpartition(".")
    generated = getattr(importlib.import_module(module), name)(model=MODEL, base_url=base_url, api_key="sk-bench")
    maf = OpenAIChatCompletionClient(model=MODEL, base_url=base_url, api_key="sk-bench")
    messages = [Message(role="user", contents=["Tell me a very short story."])]

    def check(response: ChatResponse[Any]) -> None:
        if response.text != TEXT:
            raise AssertionError(f"unexpected reply: {response.text!r}")

    def calls(client: Any) -> tuple[Call, Call]:
        async def create() -> None:
            check(await client.get_response(messages))

        async def stream() -> None:
            updates = client.get_response(messages, stream=True)
            async for _ in updates:
                pass
            check(await updates.get_final_response())

        return create, stream

    floor_create, floor_stream, _ = _httpx_calls(base_url)
    return {"generated": calls(generated), "maf openai": calls(maf), "bare httpx": (floor_create, floor_stream)}


def _httpx_calls(base_url: str) -> tuple[Call, Call, Callable[[], Awaitable[None]]]:
    """The floor: one POST and `json.loads` (or one streamed POST read line by line), no framework types."""
    import httpx

    # Same pool limits as the generated client, so the floor is not handicapped by httpx's defaults.
    http = httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=1000, max_keepalive_connections=100))
    url = base_url + "/chat/completions"
    headers = {"Authorization": "Bearer sk-bench", "Content-Type": "application/json"}
    wire_messages = [{"role": "user", "content": "Tell me a very short story."}]

    async def httpx_create() -> None:
        body = json.dumps({"model": MODEL, "messages": wire_messages}).encode()
        response = await http.post(url, content=body, headers=headers)
        response.raise_for_status()
        if response.json()["choices"][0]["message"]["content"] != TEXT:
            raise AssertionError("unexpected reply")

    async def httpx_stream() -> None:
        payload = {"model": MODEL, "messages": wire_messages, "stream": True, "stream_options": {"include_usage": True}}
        parts: list[str] = []
        async with http.stream("POST", url, content=json.dumps(payload).encode(), headers=headers) as response:
            response.raise_for_status()
            async for line in response.aiter_lines():
                if not line.startswith("data: "):
                    continue
                data = line[6:]
                if data == "[DONE]":
                    continue  # read on to the end of the body, so the connection is reused like the clients'
                choices = json.loads(data)["choices"]
                if choices and choices[0]["delta"].get("content"):
                    parts.append(choices[0]["delta"]["content"])
        if "".join(parts) != TEXT:
            raise AssertionError("unexpected streamed reply")

    return httpx_create, httpx_stream, http.aclose


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=DEFAULT_PYTHON, help="interpreter for the environment (uv -p)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per cell; the best one is reported")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--measure", nargs=3, metavar=("URL", "CLIENT", "ROUNDS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
    elif args.measure:
        base_url, client_path, rounds = args.measure
        asyncio.run(measure(base_url, client_path, int(rounds)))
    else:
        sys.path.insert(0, str(REPO_ROOT))
        orchestrate(args.python, args.rounds)


if __name__ == "__main__":
    main()
