"""The generated model client against software no one here wrote (marker `interop`; docs/interop.md).

- **LiteLLM's proxy** (a real OpenAI-compatible server, in its own cached environment) in front of the rendered
  package's scripted upstream: every scenario of each framework front (`tests/interop/autogen_scenarios.py`,
  `agent_framework_scenarios.py`) must pass with the generated client, and wherever the front's control passes
  (autogen-ext's `OpenAIChatCompletionClient`, agent-framework-openai's), ours must too.
- **OpenAI's official request schema**: every chat-completions body the rendered package's own model tests send
  must be a valid `CreateChatCompletionRequest` (`tests/interop/openai_schema.py`).

Both run once per session (`tests/interop/lane.py`), shared by every xdist worker through a file lock. A part
that cannot be installed or started fails with what went wrong and how to fix it; nothing is skipped.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import REPO_ROOT
from tests.interop import lane
from tests.interop.environments import READY_MARKER, EnvironmentSetupError, ensure_environment, file_lock
from tests.interop.litellm_proxy import LiteLLMProxy, ProxyStartError
from tests.interop.openai_schema import REFERENCE, admit_null, problems, stale_files

DOCS = REPO_ROOT / "docs" / "interop.md"
CHAT_COMPLETIONS = "/chat/completions"


@pytest.fixture(scope="session")
def interop_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The lane's report, computed by the first worker that asks and read by the others."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the parent is per session
    path = shared / "interop-report.json"
    with file_lock(shared / "interop-report.lock"):
        if not path.exists():
            path.write_text(json.dumps(lane.run(shared / "interop")))
    return dict(json.loads(path.read_text()))


FRONTS = list(lane.FRONT_SCENARIOS)
SCENARIOS = [(front, scenario) for front in FRONTS for scenario in lane.scenario_names(front)]


def lane_results(report: dict[str, Any], front: str) -> dict[str, dict[str, dict[str, Any]]]:
    if report["lane"]["error"]:
        pytest.fail(report["lane"]["error"], pytrace=False)
    results: dict[str, dict[str, dict[str, Any]]] = report["lane"]["results"][front]
    missing = set(lane.scenario_names(front)) - set(results)
    assert not missing, f"{front} scenarios that did not run: {sorted(missing)}"
    return results


@pytest.mark.interop
@pytest.mark.parametrize(("front", "scenario"), SCENARIOS)
def test_generated_client_through_litellm(interop_report: dict[str, Any], front: str, scenario: str) -> None:
    outcome = lane_results(interop_report, front)[scenario]["generated"]
    assert outcome["ok"], f"{front} {scenario} through LiteLLM {interop_report['litellm']}: {outcome['detail']}"


@pytest.mark.interop
@pytest.mark.parametrize("front", FRONTS)
def test_generated_client_does_at_least_as_well_as_the_control(interop_report: dict[str, Any], front: str) -> None:
    results = lane_results(interop_report, front)
    control = lane.CLIENT_NAMES[front][1]
    worse = {
        scenario: by_client["generated"]["detail"]
        for scenario, by_client in results.items()
        if by_client[control]["ok"] and not by_client["generated"]["ok"]
    }
    table = lane.control_table(front, results)
    assert not worse, f"{control} passes where the generated client fails: {worse}\n{table}"


@pytest.mark.interop
@pytest.mark.parametrize("front", FRONTS)
def test_docs_record_the_control_results(interop_report: dict[str, Any], front: str) -> None:
    table = lane.control_table(front, lane_results(interop_report, front))
    assert table in DOCS.read_text(encoding="utf-8"), (
        f"docs/interop.md's {front} control table differs from this run; replace it with:\n{table}"
    )


def _logged_chat_requests(report: dict[str, Any]) -> list[dict[str, Any]]:
    capture = report["capture"]
    if capture["error"]:
        pytest.fail(capture["error"], pytrace=False)
    assert capture["returncode"] == 0, f"the generated model tests failed, so the capture is incomplete:\n{capture}"
    lines = Path(capture["log"]).read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines]
    return [e for e in entries if e["method"] == "POST" and urlsplit(e["target"]).path.endswith(CHAT_COMPLETIONS)]


# What the captured bodies must exercise between them, so the check covers every part of the request format.
FEATURES = {
    "stream",
    "tools",
    "tool_choice",
    "response_format:json_object",
    "response_format:json_schema",
    "role:system",
    "role:tool",
    "assistant tool_calls",
    "content part:image_url",
}


def _features(body: dict[str, Any]) -> set[str]:
    found = {key for key in ("stream", "tools", "tool_choice") if key in body}
    if isinstance(body.get("response_format"), dict):
        found.add(f"response_format:{body['response_format'].get('type')}")
    for message in body.get("messages", []):
        found.add(f"role:{message.get('role')}")
        if message.get("tool_calls"):
            found.add("assistant tool_calls")
        if isinstance(message.get("content"), list):
            found |= {f"content part:{part.get('type')}" for part in message["content"]}
    return found


@pytest.mark.interop
def test_every_request_body_of_the_generated_tests_is_a_valid_openai_request(interop_report: dict[str, Any]) -> None:
    requests = _logged_chat_requests(interop_report)
    bodies = [json.loads(entry["body"]) for entry in requests]
    covered = set().union(*(_features(body) for body in bodies))
    assert FEATURES <= covered, f"no captured request exercises {sorted(FEATURES - covered)}"
    # The log is written to disk: the API keys the tests send appear in it only as "<redacted>".
    keys = {entry["headers"]["authorization"] for entry in requests if "authorization" in entry["headers"]}
    assert keys == {"<redacted>"}, keys
    invalid: dict[str, list[str]] = {}
    for entry, body in zip(requests, bodies, strict=True):
        found = problems(body)
        if found:
            invalid.setdefault(entry["test"], []).extend(found)
    assert not invalid, f"{len(invalid)} of the generated tests sent invalid requests:\n" + "\n".join(
        f"- {test}: {'; '.join(found)}" for test, found in invalid.items()
    )


# ---- the lane's own machinery (no environment needed) -------------------------------------------------------


def _fake_proxy_environment(tmp_path: Path, script: str) -> Path:
    """An environment whose `bin/litellm` is the shell `script`."""
    executable = tmp_path / "fake-venv" / "bin" / "litellm"
    executable.parent.mkdir(parents=True)
    executable.write_text("#!/bin/sh\n" + script)
    executable.chmod(0o755)
    return tmp_path / "fake-venv"


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")  # a zombie has already been killed; only its parent's wait is missing


def test_a_proxy_that_exits_while_starting_fails_with_its_output(tmp_path: Path) -> None:
    venv = _fake_proxy_environment(tmp_path, 'echo "ModuleNotFoundError: fastapi"; exit 3\n')
    with pytest.raises(ProxyStartError, match=r"exited with status 3[\s\S]*ModuleNotFoundError: fastapi"):
        LiteLLMProxy(venv, "http://127.0.0.1:9/v1", tmp_path).start()


def test_a_proxy_that_never_answers_is_stopped_with_all_it_started(tmp_path: Path) -> None:
    # The fake proxy starts a child of its own, then hangs without ever listening.
    venv = _fake_proxy_environment(tmp_path, "sleep 300 &\necho $! > child.pid\nexec sleep 300\n")
    with pytest.raises(ProxyStartError, match="did not answer within 1s"):
        LiteLLMProxy(venv, "http://127.0.0.1:9/v1", tmp_path, start_timeout=1).start()
    child = int((tmp_path / "child.pid").read_text())
    deadline = time.monotonic() + 5
    while _running(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(child), "the proxy's child outlived it"


def test_an_environment_that_cannot_be_installed_says_what_failed_and_how_to_fix_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTEROP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("UV_OFFLINE", "1")  # the package is in no cache, so this fails at once, offline
    with pytest.raises(EnvironmentSetupError) as caught:
        ensure_environment("broken", ["interop-lane-no-such-package==1.0"])
    message = str(caught.value)
    assert "installing the broken environment failed" in message
    assert "interop-lane-no-such-package" in message
    assert "uv run python -m tests.interop.environments" in message
    assert not list((tmp_path / "cache").glob(f"*/{READY_MARKER}")), "a failed environment must not count as ready"


# ---- the schema tooling itself (no environment needed) ------------------------------------------------------


def test_vendored_openai_schema_matches_the_reference() -> None:
    if not (REFERENCE / "openapi.json").is_file():
        message = f"the reference description is not at {REFERENCE}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    assert not stale_files(), "re-vendor with `uv run python -m tests.interop.openai_schema --write`"


def test_nullable_becomes_a_type_that_admits_null() -> None:
    assert admit_null({"type": "integer", "nullable": True}) == {"type": ["integer", "null"]}
    assert admit_null({"type": "string", "enum": ["a"], "nullable": True}) == {
        "type": ["string", "null"],
        "enum": ["a", None],
    }
    assert admit_null({"$ref": "#/x", "nullable": True}) == {"anyOf": [{"$ref": "#/x"}, {"type": "null"}]}
    assert admit_null({"type": "number", "nullable": False}) == {"type": "number"}
    # A property that happens to be called "nullable" is a schema, not the keyword.
    properties = {"properties": {"nullable": {"type": "boolean"}}}
    assert admit_null(properties) == properties


MINIMAL = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


def test_the_schema_check_accepts_valid_requests_and_names_what_is_wrong() -> None:
    assert problems(MINIMAL) == []
    # null is valid where the description says nullable (the rewrite at work)
    assert problems({**MINIMAL, "stop": None, "temperature": None, "max_completion_tokens": None}) == []
    assert problems({**MINIMAL, "messages": []}) == ["messages: [] should be non-empty"]
    assert problems({**MINIMAL, "temperature": "hot"}) == ["temperature: 'hot' is not of type 'number'"]
    wrong_message = {"model": "m", "messages": [{"role": "user", "content": 5}]}
    assert problems(wrong_message) == ["messages/0/content: 5 is not of type 'string'"]
    assert problems({"messages": MINIMAL["messages"]}) == ["(body): 'model' is a required property"]
