"""The quality gates a generated package must pass, run the way its author would run them.

Two sets, chosen per package by the plan (hooks/plan.py):

- ``full_gates()`` for a *full package* (every component chosen), once per interpreter: install fresh from
  its own metadata (``uv sync``), ruff, mypy and pyright (both strict), the whole test suite, every offline
  example, and the packaging gates. The test suite runs in two parts beside the other gates: it spends most
  of its time waiting on subprocesses, sockets and timeouts, so pyright and the packaging gates use the CPU
  meanwhile.
- ``package_gates()`` for every other distinct package: install fresh, ruff, mypy, and the packaging gates.
  Its Python files are byte-identical to the full package's (the render layer proves it), so pyright's verdict
  and the tests' results on them are the full package's, on the same interpreter; mypy still runs, almost for
  free with the shared cache, and would notice if that identity ever broke.

The packaging gates: ``uv build``, ``twine check --strict``, the wheel's contents, and the wheel installed
alone into a bare environment where every public module must import (that proves the runtime dependencies
are declared: nothing from the dev group can mask a missing one there).

Tests and the benchmark share this module; each gate's wall time is recorded for the benchmark.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import os
import shutil
import subprocess
import threading
import time
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from hooks.plan import MCP_TEST_FOLDER, component_folders
from hooks.toml import toml

GATE_TIMEOUT = 600
PYTEST = ("python", "-m", "pytest", "-q", "-p", "no:cacheprovider")
"""The test suite as configured in the package: no ``-k`` or ``-m`` selection (hooks/plan.py relies on the full
gates running everything); the full gates add the paths of one part of the suite (``suite_parts``)."""
PYRIGHT = ("pyright",)
"""pyright over what the package's configuration includes."""
EXAMPLE_DONE = "Happy building!"
"""The last line every offline example prints when its conversation completed."""


@dataclass
class Gate:
    name: str
    seconds: float
    ok: bool
    output: str


@dataclass
class GateRun:
    project: Path
    gates: list[Gate] = field(default_factory=list[Gate])
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def ok(self) -> bool:
        return all(gate.ok for gate in self.gates)

    def add(self, gate: Gate) -> bool:
        with self._lock:
            self.gates.append(gate)
        return gate.ok

    def failures(self) -> str:
        return "\n\n".join(f"--- {g.name} failed ---\n{g.output[-6000:]}" for g in self.gates if not g.ok)


def uv() -> str:
    found = shutil.which("uv")
    if not found:
        raise RuntimeError("uv is not on PATH: pip install uv")
    return found


def tool_env(venv: Path | None) -> dict[str, str]:
    """Environment for a tool run: no leaked virtualenv or provider allow-list, ``venv`` first on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_PROJECT", "PYTHONPATH"))}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env.pop("AUTOGEN_ALLOWED_PROVIDER_NAMESPACES", None)  # the package's own tests must set it themselves
    if venv is not None:
        env["VIRTUAL_ENV"] = str(venv)
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def _run(
    run: GateRun,
    name: str,
    argv: Sequence[str],
    *,
    cwd: Path,
    venv: Path | None = None,
    expect: Sequence[str] = (),
    refuse: Sequence[str] = (),
) -> bool:
    """Run one gate; it passes on exit 0 with every ``expect`` and no ``refuse`` text in its output."""
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            list(argv), cwd=cwd, env=tool_env(venv), capture_output=True, text=True, timeout=GATE_TIMEOUT, check=False
        )
        output = proc.stdout + proc.stderr
        missing = [text for text in expect if text not in output]
        unwanted = [text for text in refuse if text in output]
        ok = proc.returncode == 0 and not missing and not unwanted
        if missing or unwanted:
            output += f"\nexpected but missing: {missing}; present but refused: {unwanted}"
    except subprocess.TimeoutExpired as exc:
        ok, output = False, f"timed out after {GATE_TIMEOUT}s: {exc}"
    return run.add(Gate(name, time.perf_counter() - started, ok, f"$ {' '.join(argv)}\n{output}"))


_index_asked: set[str] = set()
"""uv subcommands this process has already run against the package index (see ``_run_uv``)."""


def _run_uv(run: GateRun, name: str, arguments: Sequence[str], *, cwd: Path, venv: Path | None = None) -> bool:
    """A uv command, from uv's cache alone once this process has asked the package index (``--offline``).

    Every package of a run resolves much the same dependencies. The first command of each kind asks the index,
    which refreshes uv's cache; the others then resolve from the cache, still from their own metadata, without
    waiting on the index (most of an install's time). A cache miss falls back to asking the index.
    """
    if arguments[0] in _index_asked:
        offline = GateRun(run.project)
        if _run(offline, name, [uv(), *arguments, "--offline"], cwd=cwd, venv=venv):
            return run.add(offline.gates[0])
    ok = _run(run, name, [uv(), *arguments], cwd=cwd, venv=venv)
    if ok:
        _index_asked.add(arguments[0])
    return ok


def _record(run: GateRun, name: str, started: float, problems: list[str]) -> bool:
    return run.add(Gate(name, time.perf_counter() - started, not problems, "\n".join(problems)))


def wheel_problems(wheel: Path, package_name: str) -> list[str]:
    """What is wrong with a wheel's contents: py.typed and the licence present, no tests shipped."""
    names = zipfile.ZipFile(wheel).namelist()
    problems = []
    if f"{package_name}/py.typed" not in names:
        problems.append("py.typed missing from the wheel")
    if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names):
        problems.append("LICENSE missing from the wheel's dist-info/licenses")
    shipped_tests = [n for n in names if n.startswith("tests/") or "/tests/" in n or "conftest" in n]
    if shipped_tests:
        problems.append(f"tests shipped in the wheel: {shipped_tests[:5]}")
    if any(not n.startswith((f"{package_name}/", wheel.name.split("-")[0])) for n in names):
        problems.append(f"unexpected top-level entries: {sorted({n.split('/')[0] for n in names})}")
    return problems


def public_modules(project: Path, package_name: str) -> list[str]:
    """Importable public modules of the package (private ``_name`` modules are reached through them)."""
    root = project / "src" / package_name
    modules = []
    for init in sorted(root.rglob("__init__.py")):
        parts = init.parent.relative_to(project / "src").parts
        if not any(part.startswith("_") for part in parts):
            modules.append(".".join(parts))
    return modules


_TWINE_LOCK = threading.Lock()  # twine reports through the process-wide stdout and logging


def twine_problems(artifacts: Sequence[Path]) -> list[str]:
    """``twine check --strict``, in this process: the same checks without a new interpreter per package."""
    from twine.commands.check import check  # the dev group's twine

    report = io.StringIO()
    handler = logging.StreamHandler(report)
    twine_logger = logging.getLogger("twine")
    with _TWINE_LOCK, contextlib.redirect_stdout(report):
        twine_logger.addHandler(handler)
        try:
            failed = check([str(path) for path in artifacts], strict=True)
        finally:
            twine_logger.removeHandler(handler)
    return [f"twine check --strict failed:\n{report.getvalue()}"] if failed else []


def install(run: GateRun, project: Path, python: str) -> bool:
    """``uv sync``: a new virtual environment resolved from the project's own ``pyproject.toml``."""
    return _run_uv(run, "install (uv sync)", ["sync", "--python", python, "--quiet"], cwd=project)


def packaging_gates(run: GateRun, project: Path, python: str, package_name: str) -> None:
    """Build, check the distributions and the wheel, and import every public module from a bare install."""
    dist = project / "dist"
    if not _run_uv(run, "uv build", ["build", "--quiet", "--out-dir", str(dist)], cwd=project):
        return
    started = time.perf_counter()
    artifacts = sorted(p for p in dist.iterdir() if p.name.endswith((".whl", ".tar.gz")))
    _record(run, "twine check --strict", started, twine_problems(artifacts))
    started = time.perf_counter()
    wheel = next(dist.glob("*.whl"))
    _record(run, "wheel contents", started, wheel_problems(wheel, package_name))
    bare = project / ".venv-bare"
    if not _run(run, "bare venv", [uv(), "venv", "--quiet", "--python", python, str(bare)], cwd=project):
        return
    # With every extra the package declares (the Agent Framework fronts' framework is one), so every public
    # module can import; only what the metadata declares is installed.
    pyproject = toml.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    extras = ",".join(pyproject["project"].get("optional-dependencies", {}))
    requirement = f"{wheel}[{extras}]" if extras else str(wheel)
    if _run_uv(run, "bare install", ["pip", "install", "--quiet", requirement], cwd=project, venv=bare):
        imports = "; ".join(f"import {module}" for module in public_modules(project, package_name))
        _run(run, "import in bare env", ["python", "-c", imports], cwd=project, venv=bare)


def _lint_and_mypy(run: GateRun, project: Path, mypy_cache: Path | None) -> None:
    venv = project / ".venv"
    _run(run, "ruff check", ["ruff", "check", "--no-cache", "."], cwd=project, venv=venv)
    _run(run, "ruff format", ["ruff", "format", "--no-cache", "--check", "."], cwd=project, venv=venv)
    mypy = ["mypy"] + (["--cache-dir", str(mypy_cache)] if mypy_cache else [])
    _run(run, "mypy --strict", mypy, cwd=project, venv=venv)


def examples(project: Path) -> list[Path]:
    """The offline examples of a project, each run as a gate."""
    return sorted((project / "examples").glob("*.py"))


def _run_examples(run: GateRun, project: Path) -> None:
    # Offline: scripted models and loopback servers; each conversation must complete without a tool error.
    for example in examples(project):
        _run(
            run,
            f"example {example.name}",
            ["python", str(example)],
            cwd=project,
            venv=project / ".venv",
            expect=[EXAMPLE_DONE],
            refuse=["is_error=True", "Traceback"],
        )


def _concurrently(*chains: Callable[[], object]) -> None:
    with ThreadPoolExecutor(max_workers=len(chains)) as pool:
        for future in [pool.submit(chain) for chain in chains]:
            future.result()


def suite_parts(project: Path, count: int = 2) -> list[list[str]]:
    """The package's test suite in ``count`` parts that run side by side (the tests mostly wait on sockets,
    subprocesses and timeouts): each component's test folder, in copier.yml's order, then the MCP server's,
    dealt out in turn, and any test file directly under ``tests/`` in the first part. Together they are exactly
    the suite pytest collects, each test once (tests/test_plan.py checks it)."""
    shards: list[list[str]] = [[] for _ in range(count)]
    names = [*component_folders().values(), MCP_TEST_FOLDER]
    folders = [f"tests/{folder}" for folder in names if (project / "tests" / folder).is_dir()]
    for number, folder in enumerate(folders):
        shards[number % count].append(folder)
    shards[0] += sorted(str(path.relative_to(project)) for path in (project / "tests").glob("test_*.py"))
    return [shard for shard in shards if shard]


def _test_parts(run: GateRun, project: Path) -> list[Callable[[], object]]:
    venv = project / ".venv"
    return [
        functools.partial(_run, run, f"pytest {' '.join(shard)}", (*PYTEST, *shard), cwd=project, venv=venv)
        for shard in suite_parts(project)
    ]


def full_gates(
    project: Path, python: str, package_name: str, *, mypy_cache: Path | None = None, concurrent: bool = True
) -> GateRun:
    """Every gate, on a full package. Concurrently, the test suite runs in two parts beside the other gates;
    ``concurrent=False`` runs the suite whole and every gate one after another (the benchmark's reference:
    what an author's own gate run costs)."""
    run = GateRun(project)
    if not install(run, project, python):
        return run
    venv = project / ".venv"

    def everything_else() -> None:
        _run(run, "pyright strict", PYRIGHT, cwd=project, venv=venv)
        _lint_and_mypy(run, project, mypy_cache)
        packaging_gates(run, project, python, package_name)
        _run_examples(run, project)

    if concurrent:
        _concurrently(*_test_parts(run, project), everything_else)
    else:
        _run(run, "pytest", PYTEST, cwd=project, venv=venv)
        everything_else()
    return run


def package_gates(project: Path, python: str, package_name: str, *, mypy_cache: Path | None = None) -> GateRun:
    """The gates of a package whose Python files the full package's gates already cover (see the module doc)."""
    run = GateRun(project)
    if install(run, project, python):
        _concurrently(
            lambda: _lint_and_mypy(run, project, mypy_cache),
            lambda: packaging_gates(run, project, python, package_name),
        )
    return run


def run_package_tests(project: Path, python: str) -> GateRun:
    """Install a project with ``uv sync`` and run its own test suite (what a user does after an update), in
    the parts of ``suite_parts`` side by side."""
    run = GateRun(project)
    if install(run, project, python):
        _concurrently(*_test_parts(run, project))
    return run


def run_mcp_server_tests(project: Path, python: str, majors: Sequence[str | None]) -> GateRun:
    """Install a project with ``uv sync`` and run its MCP server's tests (``tests/mcp_server``) once per entry of
    ``majors``: ``None`` with the MCP SDK its dev group installs, a requirement (``"mcp>=2.2,<3"``) with that
    one instead (``uv run --with``). Each run lists every test's outcome and every skip's reason."""
    run = GateRun(project)
    if install(run, project, python):
        venv = project / ".venv"
        tests = ("-vv", "-rs", "tests/mcp_server")  # -vv: PYTEST's -q takes one back
        for major in majors:
            if major is None:
                _run(run, "pytest tests/mcp_server", (*PYTEST, *tests), cwd=project, venv=venv)
            else:
                with_major = [uv(), "run", "--no-sync", "--with", major, *PYTEST, *tests]
                _run(run, f"pytest tests/mcp_server with {major}", with_major, cwd=project, venv=venv)
    return run
