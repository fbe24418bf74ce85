"""Fixtures shared by the template's own tests.

Two ways to render, each where it serves (docs/development.md):

- ``render_project`` / ``template_source`` (hooks/render.py): copier's public ``run_copy`` with
  ``unsafe=False`` from a plain-directory snapshot of the working tree: the trust-free proof and the fast path
  for every answer combination.
- pytest-copier's fixtures: ``copier_template`` (a session-scoped git snapshot of the template's parts, tagged
  99.99.99, so ``copier update`` has a release to work with), ``copier`` (its copy/update helpers and
  ``context()``, which shows the computed values) and the projects it returns (``run()`` for commands in a
  render). Its helpers force ``unsafe=True``, so they never count as the trust-free proof.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import copier
import jinja2
import pytest
from pytest_copier import CopierFixture

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))  # hooks/ is the template's own code, shared with docs and benchmarks

from hooks.interpreters import find_python  # noqa: E402
from hooks.plan import FULL_ANSWERS  # noqa: E402
from hooks.releases import git  # noqa: E402
from hooks.render import TEMPLATE_PARTS, render, snapshot  # noqa: E402
from tests.fast_render import install_compile_cache, without_git  # noqa: E402

install_compile_cache()

Render = Callable[[Mapping[str, Any]], Path]


@pytest.fixture(scope="session")
def template_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The working tree's template parts as a plain directory (uncommitted edits included)."""
    return snapshot(tmp_path_factory.mktemp("template-source"))


@pytest.fixture(scope="session")
def copier_template_paths() -> list[str]:
    """What pytest-copier's snapshot holds: the template's parts, not .git, .venv or the tests."""
    return list(TEMPLATE_PARTS)


@pytest.fixture(name="copier")
def copier_cleaning_up(copier: CopierFixture) -> Iterator[CopierFixture]:
    """pytest-copier's fixture, with the template clone of each worker it makes removed afterwards: its
    ``context()`` makes a worker it never closes, which left one clone of the template in the temp directory
    per call."""
    with ExitStack() as workers:
        make = copier.worker
        copier.monkeypatch.setattr(
            copier, "worker", lambda *args, **kwargs: workers.enter_context(make(*args, **kwargs))
        )
        yield copier


@pytest.fixture(scope="session")
def full_package(template_source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The full render (every component and framework chosen, every other answer at its default), once per worker."""
    with without_git():
        return render(FULL_ANSWERS, tmp_path_factory.mktemp("full"), source=template_source)


@pytest.fixture
def render_project(template_source: Path, tmp_path: Path) -> Render:
    """Render answers (others default) into a fresh directory, exactly as ``copier copy --defaults`` would."""
    counter = iter(range(1_000_000))

    def _render(answers: Mapping[str, Any]) -> Path:
        with without_git():  # a plain directory rendered into a fresh one: git has nothing to do
            return render(answers, tmp_path / f"project-{next(counter)}", source=template_source)

    return _render


def copy_project(template: Path, dest: Path, answers: Mapping[str, Any], vcs_ref: str) -> Path:
    """A project copied, without trust, from the template repository at `vcs_ref`, committed in a new git repo."""
    copier.run_copy(
        str(template), str(dest), data=dict(answers), defaults=True, unsafe=False, vcs_ref=vcs_ref, quiet=True
    )
    git("init", "--quiet", "--initial-branch=main", cwd=dest)
    commit_all(dest, "copier copy")
    return dest


def commit_all(project: Path, message: str) -> None:
    git("add", "--all", cwd=project)
    git("commit", "--quiet", "-m", message, cwd=project)


def python_or_skip(version: str) -> str:
    """Interpreter for ``version``, or skip the test cleanly when this machine has none."""
    found = find_python(version)
    if found is None:
        pytest.skip(f"Python {version} is not installed here")
    return found


def include_constants(include: str) -> dict[str, str]:
    """The upper-case variables an include sets (`includes/<include>.jinja`: action pins, dependency pins), by name."""
    source = (REPO_ROOT / "includes" / f"{include}.jinja").read_text(encoding="utf-8")
    module = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(source).module
    return {name: value for name, value in vars(module).items() if name.isupper()}


def dev_tool(name: str) -> str:
    """An executable of the dev group: beside the interpreter, else on PATH (``uv run --with`` overlays)."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: it is in the dev dependency group (uv sync)")
    return found
