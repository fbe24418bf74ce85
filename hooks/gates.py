"""The quality gates every generated package must pass, run the way its author would run them.

``run_gates()`` installs the package fresh from its own metadata (``uv sync``: a new virtual environment
resolved from ``pyproject.toml``), then runs ruff, mypy, pyright, pytest, the offline example,
``uv build`` and ``twine check --strict``, checks the wheel's contents, and installs the wheel alone into a
bare environment to import every public module: that last step proves the runtime dependencies are
declared, since nothing from the dev group can mask a missing one there.

Tests and the benchmark share this module; each gate's wall time is recorded for the benchmark.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

GATE_TIMEOUT = 600


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

    @property
    def ok(self) -> bool:
        return all(gate.ok for gate in self.gates)

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
    run.gates.append(Gate(name, time.perf_counter() - started, ok, f"$ {' '.join(argv)}\n{output}"))
    return ok


def _record(run: GateRun, name: str, problems: list[str], started: float) -> bool:
    run.gates.append(Gate(name, time.perf_counter() - started, not problems, "\n".join(problems)))
    return not problems


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


def run_gates(project: Path, python: str, package_name: str, *, mypy_cache: Path | None = None) -> GateRun:
    """Run every gate on a rendered project with interpreter ``python``; stops at a failed install."""
    run = GateRun(project)
    venv = project / ".venv"
    if not _run(run, "install (uv sync)", [uv(), "sync", "--python", python, "--quiet"], cwd=project):
        return run
    _run(run, "ruff check", ["ruff", "check", "--no-cache", "."], cwd=project, venv=venv)
    _run(run, "ruff format", ["ruff", "format", "--no-cache", "--check", "."], cwd=project, venv=venv)
    mypy = ["mypy"] + (["--cache-dir", str(mypy_cache)] if mypy_cache else [])
    _run(run, "mypy --strict", mypy, cwd=project, venv=venv)
    _run(run, "pyright strict", ["pyright"], cwd=project, venv=venv)
    _run(run, "pytest", ["python", "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project, venv=venv)
    example = project / "examples" / "quickstart.py"
    if example.exists():  # offline: scripted model and loopback servers; the conversation must complete
        _run(
            run,
            "example",
            ["python", str(example)],
            cwd=project,
            venv=venv,
            expect=["Happy building!"],
            refuse=["is_error=True", "Traceback"],
        )

    dist = project / "dist"
    if _run(run, "uv build", [uv(), "build", "--quiet", "--out-dir", str(dist)], cwd=project):
        artifacts = sorted(str(p) for p in dist.iterdir() if p.name.endswith((".whl", ".tar.gz")))
        _run(run, "twine check --strict", [sys.executable, "-m", "twine", "check", "--strict", *artifacts], cwd=project)
        started = time.perf_counter()
        wheel = next(dist.glob("*.whl"))
        _record(run, "wheel contents", wheel_problems(wheel, package_name), started)
        bare = project / ".venv-bare"
        imports = "; ".join(f"import {m}" for m in public_modules(project, package_name))
        if _run(run, "bare venv", [uv(), "venv", "--quiet", "--python", python, str(bare)], cwd=project):
            installed = _run(
                run, "bare install", [uv(), "pip", "install", "--quiet", str(wheel)], cwd=project, venv=bare
            )
            if installed:
                _run(run, "import in bare env", ["python", "-c", imports], cwd=project, venv=bare)
    return run


def run_package_tests(project: Path, python: str) -> GateRun:
    """Install a project with ``uv sync`` and run its own test suite (what a user does after an update)."""
    run = GateRun(project)
    if _run(run, "install (uv sync)", [uv(), "sync", "--python", python, "--quiet"], cwd=project):
        _run(
            run,
            "pytest",
            ["python", "-m", "pytest", "-q", "-p", "no:cacheprovider"],
            cwd=project,
            venv=project / ".venv",
        )
    return run
