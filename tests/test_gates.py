"""Layer 3: every distinct generated package passes every quality gate, on its own ``python_min``.

Each package is installed fresh from its own metadata (``uv sync``), linted, type-checked (mypy and pyright,
both strict), tested, built, checked by ``twine check --strict``, and its wheel installed alone into a bare
environment where every public module must import (hooks/gates.py).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from hooks.gates import run_gates
from hooks.matrix import render_id, selected_packages
from tests.conftest import Render, python_or_skip

PACKAGES = selected_packages()


@pytest.fixture(scope="session")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One cache per worker: third-party modules are analysed once, not once per package.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return tmp_path_factory.mktemp(f"mypy-cache-{worker}")


@pytest.mark.gates
@pytest.mark.parametrize("answers", PACKAGES, ids=[render_id(a) for a in PACKAGES])
def test_generated_package_passes_every_gate(render_project: Render, mypy_cache: Path, answers: dict[str, Any]) -> None:
    python = python_or_skip(answers["python_min"])
    project = render_project(answers)
    run = run_gates(project, python, "autogen_example", mypy_cache=mypy_cache / answers["python_min"])
    assert run.ok, run.failures()
