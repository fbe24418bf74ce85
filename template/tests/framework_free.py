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

BLOCKED = ("autogen_core", "autogen_agentchat", "autogen_ext", "agent_framework")
"""Top-level packages that fail to import while the plugin is loaded (`agent_framework_*` packages too)."""


def is_blocked(name: str) -> bool:
    top = name.partition(".")[0]
    return top in BLOCKED or top.startswith("agent_framework_")


class FrameworkBlocker(importlib.abc.MetaPathFinder):
    """Refuses to find an agent framework, as if it were not installed."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if is_blocked(fullname):
            message = f"{fullname} is blocked: this code must not need an agent framework"
            raise ModuleNotFoundError(message, name=fullname)
        return None


def install() -> None:
    """Block every framework in this interpreter from now on.

    Raises:
        RuntimeError: a framework was imported already, so blocking it now would prove nothing.
    """
    already = sorted(name for name in sys.modules if is_blocked(name))
    if already:
        raise RuntimeError(f"install the blocker before anything imports {already}")
    sys.meta_path.insert(0, FrameworkBlocker())


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    """Called for `-p` plugins before any `conftest.py` is imported."""
    install()
