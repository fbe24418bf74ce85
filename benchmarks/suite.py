"""How long the template's own test suite takes, by stage, beside a naive per-combination run.

Prints figures only (the machine is shared and noisy: nothing here is asserted). Run from the repository root:

    uv run python benchmarks/suite.py [--sample 2] [--skip-suite]

- Suite: each layer of ``pytest -n auto`` timed separately, and the gate time of each distinct package (from
  pytest's JUnit report).
- Naive: what a template without this suite's sharing does for each answer combination: render, a fresh
  ``python -m venv``, ``pip install`` of the package and its dev tools, then the same gates.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hooks.answers import answer_space
from hooks.gates import tool_env
from hooks.interpreters import find_python
from hooks.matrix import distinct_packages, render_id
from hooks.render import REPO_ROOT, render, snapshot

STAGES = {
    "answers": ["tests/test_answers.py", "tests/test_schema.py", "tests/test_bad_answers.py"],
    "render matrix": ["tests/test_render_matrix.py"],
    "gates": ["tests/test_gates.py", "tests/test_docs.py", "tests/test_workflows.py"],
    "update lifecycle": ["tests/test_lifecycle.py"],
}
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


def suite(report_dir: Path) -> tuple[dict[str, float], dict[str, float]]:
    stage_times: dict[str, float] = {}
    package_times: dict[str, float] = {}
    for stage, files in STAGES.items():
        present = [f for f in files if (REPO_ROOT / f).exists()]
        junit = report_dir / f"{stage.replace(' ', '-')}.xml"
        stage_times[stage] = run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-n",
                "auto",
                "-q",
                "-p",
                "no:cacheprovider",
                f"--junitxml={junit}",
                *present,
            ],
            REPO_ROOT,
        )
        print(f"  {stage:<17} {stage_times[stage]:7.1f} s")
        if stage == "gates" and junit.exists():
            for case in ET.parse(junit).iter("testcase"):
                if case.get("name", "").startswith("test_generated_package_passes_every_gate"):
                    package_times[case.get("name", "")] = float(case.get("time", "0"))
    return stage_times, package_times


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
    parser.add_argument("--sample", type=int, default=2, help="naive combinations to time (default 2)")
    parser.add_argument("--skip-suite", action="store_true", help="only time the naive sample")
    args = parser.parse_args()

    renders = list(answer_space())
    packages = distinct_packages(renders)
    print(f"answer combinations: {len(renders)}; distinct packages: {len(packages)}")

    with tempfile.TemporaryDirectory() as tmp:
        stage_times: dict[str, float] = {}
        package_times: dict[str, float] = {}
        if not args.skip_suite:
            print("suite (pytest -n auto), by stage:")
            stage_times, package_times = suite(Path(tmp))
        python = find_python("3.11") or sys.executable
        print(f"naive sample ({args.sample} combinations, fresh venv + pip each):")
        naive_times = []
        for index, answers in enumerate(packages[: args.sample]):
            seconds = naive(answers, Path(tmp) / f"naive-{index}", python)
            naive_times.append(seconds)
            print(f"  {render_id(answers):<55} {seconds:7.1f} s")

    total = sum(stage_times.values())
    naive_mean = statistics.mean(naive_times) if naive_times else float("nan")
    print("\nsummary")
    if total:
        print(f"  full suite wall time:              {total:7.1f} s ({total / 60:.1f} min)")
        for stage, seconds in stage_times.items():
            print(f"    {stage:<17}                {seconds:7.1f} s ({seconds / total:5.1%})")
        if package_times:
            mean = statistics.mean(package_times.values())
            print(f"  gate time per distinct package:    {mean:7.1f} s mean, {max(package_times.values()):.1f} s max")
        per_combination = total / len(renders)
        print(f"  suite time per combination:        {per_combination:7.2f} s")
        print(f"  naive time per combination:        {naive_mean:7.1f} s")
        print(f"  speed-up per combination:          {naive_mean / per_combination:7.1f}x")
        if package_times:
            print(f"  speed-up per distinct package:     {naive_mean / statistics.mean(package_times.values()):7.1f}x")
    else:
        print(f"  naive time per combination: {naive_mean:.1f} s")


if __name__ == "__main__":
    main()
