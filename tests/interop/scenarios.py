"""Interop scenarios: the generated model client of each agent framework through a real LiteLLM proxy to a
scripted upstream, beside that framework's own OpenAI client as the control.

This script runs inside the lane's clients environment (`environments.clients_environment`), with the
rendered project as its working directory, never in this repository's environment:

    python scenarios.py --client autogen_example.models.ExampleChatCompletionClient --results results.json

1. It starts the rendered package's scripted OpenAI-compatible server (the *upstream*) and prints
   `upstream <base_url>`, so the caller can start LiteLLM's proxy in front of it.
2. It reads `proxy <base_url> <api_key>` from standard input.
3. It runs every scenario of each front (`FRONTS`: `autogen_scenarios.py`, `agent_framework_scenarios.py`)
   with the generated client, then with the control. Results go to `--results` as JSON:
   `{front: {scenario: {client: {"ok", "detail", "seconds"}}}}`.

What the scenarios know about the generated package is in `scenario_support.py` (its scripted server) and
each front's `generated_client` (its client classes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

import agent_framework_scenarios
import autogen_scenarios
from scenario_support import Run, run_one, scripted_server

FRONTS = {"autogen": autogen_scenarios, "agent_framework": agent_framework_scenarios}
"""Each front's scenarios module: its `SCENARIOS`, `generated_client(path)` and `control_client()`."""


async def serve_and_run(client_path: str, results_path: str) -> None:
    scripted = scripted_server()
    async with scripted.server_class() as upstream:
        print(f"upstream {upstream.base_url}", flush=True)
        line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        word, proxy_url, proxy_key = line.split()
        if word != "proxy":
            raise SystemExit(f"expected 'proxy <url> <key>', got {line!r}")
        results: dict[str, dict[str, dict[str, Any]]] = {}
        for front, module in FRONTS.items():
            kinds = [module.generated_client(client_path), module.control_client()]
            results[front] = {}
            for name, scenario in module.SCENARIOS.items():
                results[front][name] = {}
                for kind in kinds:
                    run = Run(kind, scripted, upstream, proxy_url, proxy_key)
                    results[front][name][kind.name] = await run_one(scenario, run)
    with open(results_path, "w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=2)
    print("done", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--client", required=True, help="import path of the generated AutoGen client class")
    parser.add_argument("--results", required=True, help="where to write the results (JSON)")
    args = parser.parse_args()
    asyncio.run(serve_and_run(args.client, args.results))


if __name__ == "__main__":
    main()
