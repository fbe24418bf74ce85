"""Layer 3: every distinct generated package passes its gates, on its own ``python_min`` interpreter.

The plan (hooks/plan.py) gives the full package of each ``python_min`` every gate (fresh install, ruff, mypy and
pyright strict, the whole test suite, every offline example, build, twine, wheel contents, a bare-install
import) and every other distinct package the gates that depend on its own metadata. tests/test_plan.py proves
that this covers every distinct file on every present interpreter.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hooks.gates import full_gates, package_gates
from hooks.matrix import selected_packages
from hooks.plan import Job, jobs
from tests.conftest import Render, python_or_skip

# All packages of one interpreter run on one worker, the full package first: its mypy run fills the cache
# that the other packages of that interpreter then mostly reuse (``--dist loadgroup`` in pyproject.toml).
JOBS = [
    pytest.param(job, id=job.id, marks=pytest.mark.xdist_group(f"python-{job.python}"))
    for job in jobs(selected_packages())
]


@pytest.fixture(scope="session")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One cache per worker and interpreter (mypy's cache takes one writer at a time): mypy validates every entry
    # against the file's content, so packages share what they have in common (the third-party modules and every
    # identical file of their own).
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return tmp_path_factory.mktemp(f"mypy-cache-{worker}")


@pytest.mark.gates
@pytest.mark.parametrize("job", JOBS)
def test_generated_package_passes_its_gates(render_project: Render, mypy_cache: Path, job: Job) -> None:
    python = python_or_skip(job.python)
    project = render_project(job.answers)
    gates = full_gates if job.full else package_gates
    run = gates(project, python, "autogen_example", mypy_cache=mypy_cache / job.python)
    assert run.ok, run.failures()
