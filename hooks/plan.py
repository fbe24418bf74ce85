"""Which gates each distinct package gets, so the suite's cost grows with distinct files, not combinations.

A generated package's Python files never depend on the enumerable answers (components and frameworks aside,
which only add or remove files): tests/test_render_matrix.py proves, for every answer combination, that each
Python file is byte-identical to the same file of the *full* render (every component and framework chosen),
and that the type checkers' and pytest's settings are too. So:

- the **full package** (every component, every framework: ``FULL_ANSWERS``) of each supported ``python_min``
  gets every gate on its own interpreter: pyright, mypy, the whole test suite and every example, besides
  installing, linting and packaging (``gates.full_gates``);
- every other distinct package gets what depends on its own metadata: a fresh install, ruff, mypy (cheap with
  the shared cache, and a cross-check of the identity) and the packaging gates (``gates.package_gates``).

Every distinct file is therefore type-checked and tested on every supported interpreter that is present, once,
and each of the (components x python_min) packages is still installed, built and imported on its own.
``coverage()`` derives, from a rendered full package, what those full gates exercise; tests/test_plan.py
fails if a file would be exercised on no interpreter.
"""

from __future__ import annotations

import ast
import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import yaml

from hooks.answers import raw_config, supported_pythons
from hooks.matrix import render_id
from hooks.toml import toml

SUPPORTED_PYTHONS = supported_pythons()
ALL_COMPONENTS: tuple[str, ...] = tuple(raw_config()["components"]["choices"].values())
"""Every component, in copier.yml's order."""
ALL_FRAMEWORKS: tuple[str, ...] = tuple(raw_config()["frameworks"]["choices"].values())
"""Every agent framework a package can serve, in copier.yml's order."""
FULL_ANSWERS: dict[str, list[str]] = {"components": list(ALL_COMPONENTS), "frameworks": list(ALL_FRAMEWORKS)}
"""What makes a package *full*: every component, each with a front for every framework (every file exists)."""
CHECKED_DIRS = ("src", "tests", "examples")
"""Where a generated package keeps Python files: all of them are type-checked, tests run, examples run."""
MCP_TEST_FOLDER = "mcp_server"
"""The MCP server's test folder (``tests/mcp_server``; ``src/<package>/mcp`` is the server): present when the package
has a component to serve, i.e. any but the model client. Not ``tests/mcp``: ruff's isort would take that folder for
the ``mcp`` SDK and sort the SDK's imports as first-party."""


def component_folders() -> dict[str, str]:
    """Each component -> its subpackage folder: copier.yml's computed ``component_folders`` (the render layer
    checks that the template's directories follow it)."""
    expression = raw_config()["component_folders"]["default"]
    folders: dict[str, str] = yaml.safe_load(jinja2.Environment().from_string(expression).render())
    return folders


@dataclass(frozen=True)
class Job:
    """The gates of one distinct package: every gate for a full package, the package's own ones otherwise."""

    answers: Mapping[str, Any]
    full: bool

    @property
    def python(self) -> str:
        return str(self.answers["python_min"])

    @property
    def id(self) -> str:
        return ("full-" if self.full else "") + render_id(self.answers)


def is_full(answers: Mapping[str, Any]) -> bool:
    return all(set(answers[name]) == set(values) for name, values in FULL_ANSWERS.items())


def jobs(packages: Iterable[Mapping[str, Any]]) -> list[Job]:
    """One job per distinct package, full packages first so their long runs start early."""
    planned = [Job(dict(answers), is_full(answers)) for answers in packages]
    return sorted(planned, key=lambda job: not job.full)


# ---- what the full gates exercise, derived from a rendered full package ----


def python_files(project: Path) -> list[str]:
    """Every Python file of a rendered package, relative to it."""
    return sorted(
        str(path.relative_to(project)) for folder in CHECKED_DIRS for path in (project / folder).rglob("*.py")
    )


def _module_name(path: str) -> str:
    """``src/pkg/models/_x.py`` -> ``pkg.models._x``; ``tests/models/conftest.py`` -> ``tests.models.conftest``."""
    parts = list(Path(path).with_suffix("").parts)
    if parts[0] == "src":
        parts = parts[1:]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(source: str, module: str, is_package: bool) -> set[str]:
    """Modules ``source`` imports, absolute names, relative imports resolved against ``module``."""
    found: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                prefix = ".".join(part for part in base if part)
                target = f"{prefix}.{node.module}" if node.module else prefix
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)  # "from pkg import submodule"
    return found


def import_closure(project: Path, start: str) -> set[str]:
    """The package's own files that running ``start`` executes: ``start``, what it imports (transitively), the
    ``__init__`` of every package on the way, and for a test file the ``conftest.py`` files pytest loads."""
    by_module = {_module_name(path): path for path in python_files(project)}

    def with_parents(module: str) -> list[str]:
        # Importing a.b.c runs a/__init__, a/b/__init__ and a/b/c.
        parts = module.split(".")
        return [found for end in range(1, len(parts) + 1) if (found := by_module.get(".".join(parts[:end])))]

    folders = (Path(start).parent, *Path(start).parent.parents)
    conftests = [str(folder / "conftest.py") for folder in folders if (project / folder / "conftest.py").exists()]
    pending = [*with_parents(_module_name(start)), start, *conftests]
    seen: set[str] = set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        source = (project / path).read_text(encoding="utf-8")
        for imported in _imports(source, _module_name(path), path.endswith("__init__.py")):
            pending += with_parents(imported)
    return seen


def _pytest_settings(project: Path) -> tuple[list[str], list[str]]:
    pyproject = toml.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    settings = pyproject["tool"]["pytest"]["ini_options"]
    return list(settings.get("testpaths", ["."])), list(settings.get("python_files", ["test_*.py", "*_test.py"]))


def collected_test_files(project: Path) -> list[str]:
    """The files pytest collects when run with no arguments (what the full gates do)."""
    testpaths, patterns = _pytest_settings(project)
    return [
        path
        for path in python_files(project)
        if any(Path(path).is_relative_to(root) for root in testpaths)
        and any(fnmatch.fnmatch(Path(path).name, pattern) for pattern in patterns)
    ]


@dataclass(frozen=True)
class Coverage:
    """What the full gates exercise in one package."""

    tested: dict[str, list[str]]
    """Each Python file -> the collected test files or examples whose run executes it (imports included)."""
    unexercised: list[str]
    """Python files that no collected test and no example imports: nothing would ever run them."""


def coverage(project: Path, example_paths: Iterable[Path]) -> Coverage:
    runners = collected_test_files(project) + [str(path.relative_to(project)) for path in example_paths]
    tested: dict[str, list[str]] = {path: [] for path in python_files(project)}
    for runner in runners:
        for path in import_closure(project, runner):
            tested[path].append(runner)
    return Coverage(tested, sorted(path for path, by in tested.items() if not by))
