"""The generated MCP server works on both majors of the MCP SDK, as docs/decisions/0003-mcp-versions.md decides.

A generated package's dev group installs the major its hosts' tests need: 1.x where AutoGen is a framework
(autogen-ext 0.7.5's ``McpWorkbench`` imports only with 1.x), 2.x where Agent Framework is the only one (its MCP
tools need 2.x). Here each kind of package runs its ``tests/mcp_server`` on both: with its dev group, and again
with the other major (``uv run --with``), the way its CI's ``mcp-other-major`` job does. On each major the host
that needs it must really run (PASSED, not skipped) and the other must skip with the reason naming the fact.
The gates run the full package's whole suite on its own major; this adds the other one.
"""

from __future__ import annotations

from typing import Any

import pytest

from hooks.gates import run_mcp_server_tests
from hooks.plan import FULL_ANSWERS
from tests.conftest import Render, include_constants, python_or_skip

WORKBENCH = "test_hosts.py::test_an_assistant_agent_calls_the_server_through_mcp_workbench"
AGENT_FRAMEWORK = "test_agent_framework.py::test_agent_framework_calls_the_server_through_mcp_stdio_tool"
WORKBENCH_SKIP = "autogen-ext 0.7.5's McpWorkbench needs mcp 1.x (microsoft/autogen#8014)"
AGENT_FRAMEWORK_SKIP = "agent-framework-core's MCP tools need mcp 2.x (they import mcp.Client)"


PACKAGES: dict[str, dict[str, Any]] = {
    # Scenarios without bubblewrap's sandbox: the code executor's skip where bwrap cannot run.
    "full": dict(FULL_ANSWERS),
    "memory-agent-framework-only": {"components": ["memory"], "frameworks": ["agent_framework"]},
}


def outcomes(output: str, test: str, scenarios: list[str], outcome: str) -> list[str]:
    """Which of `test`'s scenarios do not show `outcome` in pytest's verbose output."""
    return [scenario for scenario in scenarios if f"{test}[{scenario}] {outcome}" not in output]


@pytest.mark.gates
@pytest.mark.parametrize("name", list(PACKAGES))
def test_the_mcp_server_passes_its_tests_on_both_sdk_majors(render_project: Render, name: str) -> None:
    answers = PACKAGES[name]
    project = render_project(answers)
    python = python_or_skip("3.10")
    pins = include_constants("deps")
    autogen = "autogen" in answers["frameworks"]
    run = run_mcp_server_tests(project, python, [None, pins["MCP_2"] if autogen else pins["MCP_1"]])
    assert run.ok, run.failures()

    scenarios = [c for c in ("tool", "memory") if c in answers["components"]]
    dev_output, other_output = [gate.output for gate in run.gates if gate.name.startswith("pytest")]
    on_1, on_2 = (dev_output, other_output) if autogen else (other_output, dev_output)
    assert outcomes(on_1, WORKBENCH, scenarios, "PASSED") == [], "McpWorkbench must run on 1.x"
    assert outcomes(on_2, WORKBENCH, scenarios, "SKIPPED") == []
    assert WORKBENCH_SKIP in on_2
    if "agent_framework" in answers["frameworks"]:
        assert outcomes(on_2, AGENT_FRAMEWORK, scenarios, "PASSED") == [], "MCPStdioTool must run on 2.x"
        assert outcomes(on_1, AGENT_FRAMEWORK, scenarios, "SKIPPED") == []
        assert AGENT_FRAMEWORK_SKIP in on_1
