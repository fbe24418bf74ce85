"""The gate plan never drops coverage: every distinct generated file is exercised on every present interpreter.

The suite's speed comes from gating each distinct file once per interpreter, in the full package, instead of
once per package (hooks/plan.py). These tests fail if that ever leaves a file untested: a Python file that no
test or example runs, a file the type checkers' settings leave out, a full gate that selects only part of the
suite, or a present interpreter without a full package in the plan. The premise itself (every render's
Python files are the full render's) is checked for every render in tests/test_render_matrix.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hooks import gates, plan
from hooks.interpreters import find_python
from hooks.matrix import distinct_packages, lane_renders
from hooks.toml import toml
from tests.conftest import Render


def test_every_python_file_is_run_by_a_test_or_an_example(full_package: Path) -> None:
    covered = plan.coverage(full_package, gates.examples(full_package))
    assert covered.unexercised == [], "no collected test and no example imports these files"
    assert covered.tested, "the full package has no Python files: the check would prove nothing"


def test_type_checkers_and_pytest_see_every_python_file(full_package: Path) -> None:
    tool = toml.loads((full_package / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    assert sorted(tool["mypy"]["files"]) == sorted(plan.CHECKED_DIRS)
    assert sorted(tool["pyright"]["include"]) == sorted(plan.CHECKED_DIRS)
    assert not tool["pyright"].get("exclude") and not tool["mypy"].get("exclude")
    tests = [path for path in plan.python_files(full_package) if Path(path).name.startswith("test_")]
    assert tests and sorted(tests) == sorted(plan.collected_test_files(full_package))


def test_full_gates_run_everything_they_are_credited_with(full_package: Path) -> None:
    # No keyword or marker selection, and the parts the suite runs in are the whole suite, each file once.
    selecting = ("-k", "-m", "--deselect", "--ignore", "--lf", "-x")
    pytest_options = gates.PYTEST[gates.PYTEST.index("pytest") + 1 :]
    for options in (pytest_options, gates.PYRIGHT[1:]):
        assert not [option for option in options if option.startswith((*selecting, "tests", "src", "examples"))]
    in_parts = [
        test
        for shard in gates.suite_parts(full_package)
        for test in plan.collected_test_files(full_package)
        for path in shard
        if Path(test).is_relative_to(path)
    ]
    assert sorted(in_parts) == sorted(plan.collected_test_files(full_package)), "a test file in no part, or in two"


@pytest.mark.parametrize("python", plan.SUPPORTED_PYTHONS)
def test_every_supported_interpreter_gets_a_full_package(python: str) -> None:
    planned = plan.jobs(distinct_packages(lane_renders()))
    full = [job for job in planned if job.full and job.python == python]
    assert len(full) == 1, f"the plan gates no full package on Python {python}"
    if find_python(python) is None:
        pytest.skip(f"Python {python} is not installed here: its files are checked where it is (CI)")


def test_every_distinct_package_has_a_job() -> None:
    packages = distinct_packages(lane_renders())
    planned = plan.jobs(packages)
    assert sorted(map(_key, (job.answers for job in planned))) == sorted(map(_key, packages))


def _key(answers: dict[str, Any] | Any) -> str:
    return repr(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in answers.items()))


def test_plan_needs_no_coverage_from_other_packages(render_project: Render) -> None:
    """A package without some components still has every file its own tests need (nothing dangles)."""
    project = render_project({"components": ["tool"]})
    covered = plan.coverage(project, gates.examples(project))
    assert covered.unexercised == []
