"""Runs the interop lane once: renders the model client, prepares the environments, and runs two jobs.

1. **Scenarios through LiteLLM** (`scenarios.py` in the clients environment): the scripted upstream starts
   first, then LiteLLM's proxy in front of it (one proxy for all scenarios), then every scenario of each
   framework front with the generated client and with that framework's own OpenAI client as the control.
2. **Request capture**: the rendered package's own model tests, run with `LOOPBACK_REQUEST_LOG` set, so
   every request their loopback servers receive is logged for the schema check (`openai_schema.py`).

The two run side by side (the second mostly waits on sockets while the proxy starts). `run()` returns one
JSON-able report; a part that could not run holds an `error` saying what failed and how to fix it.

    uv run python -m tests.interop.lane    # run it and print the control table (for docs/interop.md)
"""

from __future__ import annotations

import ast
import json
import selectors
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from hooks.gates import tool_env
from hooks.render import render, snapshot
from tests.interop.environments import (
    AGENT_FRAMEWORK_OPENAI,
    AUTOGEN_EXT,
    LITELLM_VERSION,
    EnvironmentSetupError,
    clients_environment,
    proxy_environment,
    venv_python,
)
from tests.interop.litellm_proxy import MASTER_KEY, NO_PROXY, LiteLLMProxy, ProxyStartError, stop_group

HERE = Path(__file__).resolve().parent
SCENARIOS_SCRIPT = HERE / "scenarios.py"
FRONT_SCENARIOS = {"autogen": HERE / "autogen_scenarios.py", "agent_framework": HERE / "agent_framework_scenarios.py"}
"""Each framework front's scenarios, as `scenarios.FRONTS` runs them."""
REQUEST_LOG_VARIABLE = "LOOPBACK_REQUEST_LOG"
"""Names the JSON-lines file every `LoopbackServer` of a generated package appends its requests to."""
CLIENT_NAMES = {"autogen": ("generated", "autogen-ext"), "agent_framework": ("generated", "agent-framework-openai")}
"""Each front's clients: the generated one first, then the control."""
LANE_TIMEOUT = 300.0
CAPTURE_TIMEOUT = 300.0
FIX_HINT = "Run only this lane with `uv run pytest -m interop`; leave it out with `-m 'not interop'`."


def scenario_names(front: str) -> list[str]:
    """The keys of a front's `SCENARIOS`, read without importing it (it needs the clients environment)."""
    script = FRONT_SCENARIOS[front]
    for node in ast.parse(script.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == "SCENARIOS":
            assert isinstance(node.value, ast.Dict)
            return [key.value for key in node.value.keys if isinstance(key, ast.Constant)]
    raise LookupError(f"no SCENARIOS table in {script}")


ANSWERS = {"components": ["model_client"], "frameworks": ["autogen", "agent_framework"]}
"""The model client with both framework fronts; other answers default."""


def render_package(workdir: Path) -> Path:
    """The working tree's template rendered with `ANSWERS`."""
    return render(ANSWERS, workdir / "project", source=snapshot(workdir / "template"))


def client_path(project: Path) -> str:
    """`<package>.models.<Class>` of a rendered project, from its answers file."""
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    return f"{answers['package_name']}.models.{answers['model_client_class']}"


def _read_line(process: subprocess.Popen[str], deadline: float) -> str:
    """The next line the process prints, or '' if it exits or the deadline passes first."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if selector.select(timeout=min(1.0, max(0.0, deadline - time.monotonic()))):
                return process.stdout.readline()
            if process.poll() is not None:
                return ""
    return ""


def run_scenarios(project: Path, clients: Path, proxy_venv: Path, workdir: Path) -> dict[str, Any]:
    """Scenario results (`{front: {scenario: {client: {"ok", "detail", "seconds"}}}}`) through one LiteLLM proxy."""
    results_path = workdir / "scenario-results.json"
    runner_log = workdir / "scenarios.log"
    deadline = time.monotonic() + LANE_TIMEOUT
    argv = [str(venv_python(clients)), str(SCENARIOS_SCRIPT), "--client", client_path(project)]
    with runner_log.open("w") as log:
        runner = subprocess.Popen(
            [*argv, "--results", str(results_path)],
            cwd=project,
            env={**tool_env(clients), **NO_PROXY},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            start_new_session=True,
        )
    try:
        first = _read_line(runner, deadline).split()
        if first[:1] != ["upstream"]:
            raise RuntimeError(f"the scenario runner did not start its upstream:\n{runner_log.read_text()[-3000:]}")
        with LiteLLMProxy(proxy_venv, first[1], workdir) as proxy:
            assert runner.stdin is not None
            runner.stdin.write(f"proxy {proxy.base_url} {MASTER_KEY}\n")
            runner.stdin.flush()
            done = _read_line(runner, deadline).strip()
            if done != "done":
                raise RuntimeError(
                    f"the scenario runner did not finish (got {done!r}):\n{runner_log.read_text()[-3000:]}\n"
                    f"--- LiteLLM's log ---\n{proxy.log_tail()}"
                )
        return dict(json.loads(results_path.read_text()))
    finally:
        stop_group(runner, grace=0)  # it has written its results, or it never will


def start_capture(project: Path, clients: Path, log: Path, output: Path) -> subprocess.Popen[bytes]:
    """The rendered package's model tests, logging every request their loopback servers receive."""
    env = {**tool_env(clients), **NO_PROXY, REQUEST_LOG_VARIABLE: str(log)}
    with output.open("wb") as sink:
        return subprocess.Popen(
            [str(venv_python(clients)), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/models"],
            cwd=project,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def finish_capture(process: subprocess.Popen[bytes], log: Path, output: Path) -> dict[str, Any]:
    try:
        process.wait(timeout=CAPTURE_TIMEOUT)
    except subprocess.TimeoutExpired:
        stop_group(process)
        return {"error": f"the generated model tests did not finish within {CAPTURE_TIMEOUT:.0f}s"}
    text = output.read_text(errors="replace")[-6000:]
    return {"error": None, "returncode": process.returncode, "output": text, "log": str(log)}


def run(workdir: Path) -> dict[str, Any]:
    """Everything the interop tests assert on, as one JSON-able report."""
    started = time.perf_counter()
    workdir.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "litellm": LITELLM_VERSION,
        "autogen_ext": AUTOGEN_EXT,
        "agent_framework_openai": AGENT_FRAMEWORK_OPENAI,
    }
    try:
        project = render_package(workdir)
        clients = clients_environment(project, workdir)
        log, output = workdir / "requests.jsonl", workdir / "capture.log"
        capture = start_capture(project, clients, log, output)
    except EnvironmentSetupError as exc:
        message = f"the interop environment could not be prepared: {exc}\n{FIX_HINT}"
        return {**report, "lane": {"error": message}, "capture": {"error": message}}
    try:
        try:
            proxy_venv = proxy_environment()
            results = run_scenarios(project, clients, proxy_venv, workdir)
            report["lane"] = {"error": None, "results": results}
        except EnvironmentSetupError as exc:
            report["lane"] = {"error": f"LiteLLM {LITELLM_VERSION} could not be installed: {exc}\n{FIX_HINT}"}
        except ProxyStartError as exc:
            report["lane"] = {"error": f"LiteLLM {LITELLM_VERSION} did not start: {exc}\n{FIX_HINT}"}
        except RuntimeError as exc:
            report["lane"] = {"error": f"{exc}\n{FIX_HINT}"}
    finally:
        report["capture"] = finish_capture(capture, log, output)
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report


def control_table(front: str, results: dict[str, dict[str, dict[str, Any]]]) -> str:
    """A front's Markdown table in docs/interop.md: scenario -> outcome per client."""
    names = CLIENT_NAMES[front]
    lines = [f"| scenario | {' | '.join(names)} |", "|---|---|---|"]
    for scenario, by_client in results.items():
        cells = ["pass" if by_client[name]["ok"] else "**fail**" for name in names]
        lines.append(f"| `{scenario}` | {' | '.join(cells)} |")
    return "\n".join(lines)


def _main() -> None:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="interop-") as tmp:
        report = run(Path(tmp))
    lane = report["lane"]
    if lane["error"]:
        sys.exit(lane["error"])
    for front, results in lane["results"].items():
        print(f"{front}:\n\n{control_table(front, results)}\n")
        for scenario, by_client in results.items():
            for name, outcome in by_client.items():
                if not outcome["ok"]:
                    print(f"- {scenario} / {name}: {outcome['detail']}")
    print(
        f"\nLiteLLM {report['litellm']}, autogen-ext {report['autogen_ext']}, "
        f"agent-framework-openai {report['agent_framework_openai']}, {report['seconds']}s"
    )


if __name__ == "__main__":
    _main()
