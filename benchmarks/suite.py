"""What the template's own test suite costs, in packages' worth of gates.

Prints figures only (the machine is shared and noisy: nothing here is asserted). Run from the repository root:

    uv run python benchmarks/suite.py [--naive 2]

In one run:

1. the whole suite, exactly as README's test command runs it (``pytest -n auto``), timed wall to wall, with
   the busy time of each stage from pytest's JUnit report (stages overlap on the workers, so busy times add
   up to more than the wall time);
2. one distinct package's full gates, one after another as its author would run them (fresh ``uv sync``, ruff,
   mypy, pyright, pytest, the examples, build, twine, the wheel checks and a bare-install import) on the
   full package (every component and framework) and Python 3.11, with caches warm as the suite has them (uv's
   cache, and a mypy cache warmed by a first run that is not counted);
3. the ratio of the two: what the suite costs in packages' worth of gates (goal: at most 8);
4. with ``--naive N``: N combinations tested the naive way (render, fresh ``python -m venv``, ``pip install``
   of the package and its dev tools, the same gates), the cost this suite's sharing avoids per combination.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hooks.gates import full_gates, tool_env
from hooks.interpreters import find_python
from hooks.matrix import distinct_packages, lane_renders, render_id
from hooks.plan import ALL_COMPONENTS, FULL_ANSWERS, SUPPORTED_PYTHONS, jobs
from hooks.render import REPO_ROOT, render, snapshot

STAGES = {
    "test_answers.py": "answers",
    "test_schema.py": "answers",
    "test_bad_answers.py": "answers",
    "test_messages.py": "answers",
    "test_render_matrix.py": "render matrix",
    "test_plan.py": "render matrix",
    "test_gates.py": "gates",
    "test_docs.py": "docs and workflows",
    "test_workflows.py": "docs and workflows",
    "test_repository.py": "docs and workflows",
    "test_hygiene.py": "docs and workflows",
    "test_interop.py": "interop",
    "test_lifecycle.py": "update lifecycle",
}
"""Test file -> stage; any other file (interop, seams, ...) is reported under its own name."""
REFERENCE_PYTHON = "3.11"
DEV_TOOLS = [
    "pytest",
    "pytest-asyncio",
    "ruff",
    "mypy",
    "pyright",
    "autogen-agentchat",
    "autogen-ext",
    "build",
    "twine",
]


def run(argv: list[str], cwd: Path, venv: Path | None = None) -> float:
    started = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=tool_env(venv), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        print(f"  ! {' '.join(argv[:4])}... exited {proc.returncode}: {proc.stdout[-400:]}{proc.stderr[-400:]}")
    return time.perf_counter() - started


def suite(report: Path) -> tuple[float, dict[str, float], dict[str, list[float]]]:
    """Wall time of ``pytest -n auto``, busy time per stage, and the gate times of full and other packages."""
    wall = run(
        [sys.executable, "-m", "pytest", "-n", "auto", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"],
        REPO_ROOT,
    )
    busy: dict[str, float] = defaultdict(float)
    gate_times: dict[str, list[float]] = defaultdict(list)
    for case in ET.parse(report).iter("testcase"):
        file = case.get("classname", "").split(".")[-1] + ".py"
        seconds = float(case.get("time", "0"))
        busy[STAGES.get(file, file)] += seconds
        name = case.get("name", "")
        if file == "test_gates.py" and case.find("skipped") is None:
            gate_times["full package" if "[full-" in name else "other package"].append(seconds)
    return wall, dict(busy), dict(gate_times)


def one_package(work: Path) -> float:
    """Sequential wall time of the full package's full gates (every component and framework), with warm caches
    (second of two runs)."""
    python = find_python(REFERENCE_PYTHON) or sys.executable
    source = snapshot(work / "template")
    mypy_cache = work / "mypy-cache"
    seconds = 0.0
    for attempt in ("warm-up", "measured"):
        project = render(FULL_ANSWERS, work / attempt, source=source)
        started = time.perf_counter()
        gates = full_gates(project, python, "autogen_example", mypy_cache=mypy_cache, concurrent=False)
        seconds = time.perf_counter() - started
        if not gates.ok:
            print(f"  ! the reference package failed its gates:\n{gates.failures()[-2000:]}")
    return seconds


def naive(answers: dict[str, object], work: Path, python: str) -> float:
    """Render, fresh venv, pip install, gates: the cost of testing one combination without any sharing."""
    started = time.perf_counter()
    project = render(answers, work / "project", source=snapshot(work / "template"))
    venv = work / "venv"
    bin_dir = venv / "bin"
    run([python, "-m", "venv", str(venv)], work)
    run([str(bin_dir / "pip"), "install", "--quiet", "-e", str(project), *DEV_TOOLS], work)
    for argv in (
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy"],
        ["pyright"],
        ["python", "-m", "pytest", "-q"],
        ["python", "-m", "build", "--outdir", "dist", "."],
    ):
        run([str(bin_dir / argv[0]), *argv[1:]], project, venv)
    dists = [str(p) for p in (project / "dist").glob("*") if p.suffix in (".whl", ".gz")]
    run([str(bin_dir / "twine"), "check", "--strict", *dists], project, venv)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--naive", type=int, default=0, help="naive combinations to time (default 0)")
    args = parser.parse_args()

    renders = lane_renders()  # what the suite renders (hooks/matrix.py), not every product of the answers
    packages = distinct_packages(renders)
    planned = jobs(packages)
    present = [python for python in SUPPORTED_PYTHONS if find_python(python)]
    absent = [python for python in SUPPORTED_PYTHONS if python not in present]
    print(f"answer combinations: {len(renders)}; distinct packages: {len(packages)} ({len(ALL_COMPONENTS)} components)")
    print(f"full packages: {sum(job.full for job in planned)}; interpreters present: {', '.join(present)}")
    if absent:
        print(f"  not installed here (their packages are skipped): {', '.join(absent)}")

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print("full suite (pytest -n auto) ...", flush=True)
        wall, busy, gate_times = suite(work / "junit.xml")
        print(f"one package's full gates (the full package, Python {REFERENCE_PYTHON}, sequential) ...", flush=True)
        reference = one_package(work / "reference")
        naive_times = []
        for index, answers in enumerate(packages[: args.naive]):
            seconds = naive(answers, work / f"naive-{index}", find_python(REFERENCE_PYTHON) or sys.executable)
            naive_times.append(seconds)
            print(f"  naive {render_id(answers):<55} {seconds:7.1f} s")

    print("\nsummary")
    print(f"  full suite wall time:                   {wall:7.1f} s ({wall / 60:.1f} min)")
    for stage, seconds in sorted(busy.items(), key=lambda item: -item[1]):
        print(f"    busy in {stage:<30}  {seconds:7.1f} s")
    for kind, times in gate_times.items():
        print(f"  gates per {kind + ':':<29} {statistics.mean(times):7.1f} s mean over {len(times)}")
    print(f"  one package's full gates (sequential):  {reference:7.1f} s")
    print(f"  ratio full suite / one package's gates: {wall / reference:7.1f}x (goal <= 8)")
    print(f"  suite time per answer combination:      {wall / len(renders):7.2f} s")
    if naive_times:
        naive_mean = statistics.mean(naive_times)
        print(f"  naive time per combination:             {naive_mean:7.1f} s")
        print(f"  speed-up per combination:               {naive_mean / (wall / len(renders)):7.1f}x")


if __name__ == "__main__":
    main()
