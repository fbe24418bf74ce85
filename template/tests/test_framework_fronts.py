"""Each framework front stands alone: importing one never imports the other framework.

A user who installed only AutoGen, or only Agent Framework, imports the front of their framework; so each
component's AutoGen front (`<package>.<component>`, every name in its `__all__`) must import with Agent
Framework blocked, and its Agent Framework front (`<package>.<component>.agent_framework`), where the package
has one, with AutoGen blocked. Each check runs in a fresh interpreter (`tests/framework_free.py` blocks).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.framework_free import AGENT_FRAMEWORK, AUTOGEN

ROOT = Path(__file__).parent.parent
PACKAGE = next(path.parent for path in sorted((ROOT / "src").glob("*/__init__.py")))
# The MCP server (`<package>.mcp`, where the package has one) is no framework front: it needs its own extra, and
# tests/mcp_server tests it.
COMPONENTS = sorted(path.parent.name for path in PACKAGE.glob("*/__init__.py") if path.parent.name != "mcp")
WITH_AGENT_FRAMEWORK = [name for name in COMPONENTS if (PACKAGE / name / "agent_framework" / "__init__.py").is_file()]


def import_everything(module: str, blocked: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    """Import `module` and every name in its `__all__` with `blocked` unimportable, in a fresh interpreter."""
    probe = (
        f"import importlib, tests.framework_free as f\nf.install({blocked!r})\n"
        f"module = importlib.import_module({module!r})\n"
        "for name in module.__all__:\n    getattr(module, name)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("component", COMPONENTS)
def test_the_autogen_front_imports_without_agent_framework(component: str) -> None:
    proc = import_everything(f"{PACKAGE.name}.{component}", AGENT_FRAMEWORK)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("component", WITH_AGENT_FRAMEWORK)
def test_the_agent_framework_front_imports_without_autogen(component: str) -> None:
    proc = import_everything(f"{PACKAGE.name}.{component}.agent_framework", AUTOGEN)
    assert proc.returncode == 0, proc.stderr
