"""A pytest plugin that makes every agent framework unimportable: `pytest -p tests.framework_free ...`.

The vendor modules (the seams) and the vendor-neutral core speak only this package's own types, so they must
import and pass their own tests in an environment with neither AutoGen nor Agent Framework.
`tests/test_framework_free.py` runs every test module marked `framework_free` under this plugin.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType

import pytest

AUTOGEN = ("autogen_core", "autogen_agentchat", "autogen_ext")
"""AutoGen's top-level packages."""
AGENT_FRAMEWORK = ("agent_framework",)
"""Agent Framework's top-level package (its `agent_framework_*` integration packages are blocked with it)."""
BLOCKED = AUTOGEN + AGENT_FRAMEWORK
"""Top-level packages that fail to import while the plugin is loaded."""


def is_blocked(name: str, blocked: Sequence[str] = BLOCKED) -> bool:
    top = name.partition(".")[0]
    return top in blocked or ("agent_framework" in blocked and top.startswith("agent_framework_"))


class FrameworkBlocker(importlib.abc.MetaPathFinder):
    """Refuses to find the blocked frameworks, as if they were not installed."""

    def __init__(self, blocked: Sequence[str]) -> None:
        self.blocked = tuple(blocked)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if is_blocked(fullname, self.blocked):
            message = f"{fullname} is blocked: this code must not need an agent framework"
            raise ModuleNotFoundError(message, name=fullname)
        return None


def install(blocked: Sequence[str] = BLOCKED) -> None:
    """Block these frameworks (by default every one) in this interpreter from now on.

    Raises:
        RuntimeError: a blocked framework was imported already, so blocking it now would prove nothing.
    """
    already = sorted(name for name in sys.modules if is_blocked(name, blocked))
    if already:
        raise RuntimeError(f"install the blocker before anything imports {already}")
    sys.meta_path.insert(0, FrameworkBlocker(blocked))


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    """Called for `-p` plugins before any `conftest.py` is imported."""
    install()
