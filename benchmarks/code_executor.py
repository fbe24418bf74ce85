"""Speed benchmark: the generated code executor against autogen-ext's LocalCommandLineCodeExecutor.

Renders the template, builds a throw-away venv with uv holding the rendered package and autogen-ext==0.7.5,
then runs trivial python and bash blocks through autogen-ext's executor, ours (`sandbox="none"`) and ours in
the bubblewrap sandbox (`sandbox="bubblewrap"`, where bwrap works) in one process and one event loop,
rotating which executor goes first in every round so drift (CPU frequency, page cache, other load) hits all
alike. Every executor runs with its defaults otherwise (so each deletes its code files after a call). Prints
the median and mean latency per block and two ratios:

- generated / autogen-ext, goal <= 1.05: the process-group handling, output cap, env filtering and file
  handling of the generated executor must cost no more than autogen-ext's plainer path;
- bubblewrap / generated, goal <= 1.5: what a fresh sandbox per block costs.

    python benchmarks/code_executor.py [--rounds 300] [--python 3.11] [--same-code]

Needs uv and network access to PyPI (or a warm uv cache). Takes about a minute on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hooks.interpreters import find_python
from hooks.render import render, snapshot

ANSWERS = {
    "project_name": "Bench Executor",
    "package_name": "bench_executor",
    "components": ["code_executor"],
    "code_executor_class": "BenchCodeExecutor",
    "docs": False,
    "ci": "none",
}

# Runs inside the venv: every executor, same loop, same blocks.
MEASURE = textwrap.dedent(
    """
    import asyncio, json, statistics, sys, tempfile, time, warnings
    from pathlib import Path

    from autogen_core import CancellationToken
    from autogen_core.code_executor import CodeBlock
    from bench_executor.code_executors import BenchCodeExecutor, SandboxUnavailableError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # autogen-ext warns that local execution is unsafe
        from autogen_ext.code_executors.local import LocalCommandLineCodeExecutor

    ROUNDS, WARMUP, SAME_CODE = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "same"
    # By default different code in every call, as an agent sends: no executor reuses an earlier file.
    BLOCKS = {
        "python": lambda n: CodeBlock(code=f"print('hello {n}')", language="python"),
        "bash": lambda n: CodeBlock(code=f"echo hello {n}", language="bash"),
    }


    async def timed(executor, block, n):
        start = time.perf_counter()
        result = await executor.execute_code_blocks([block], CancellationToken())
        elapsed = time.perf_counter() - start
        assert result.exit_code == 0 and result.output.strip() == f"hello {n}", (type(executor), result)
        return elapsed


    async def main():
        with tempfile.TemporaryDirectory() as tmp:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                theirs = LocalCommandLineCodeExecutor(timeout=60, work_dir=Path(tmp, "theirs"))
            executors = {
                "generated": BenchCodeExecutor(timeout=60, work_dir=Path(tmp, "ours")),
                "autogen-ext": theirs,
                "bubblewrap": BenchCodeExecutor(timeout=60, work_dir=Path(tmp, "sandboxed"), sandbox="bubblewrap"),
            }
            report = {"skipped": {}}
            for name, executor in list(executors.items()):
                try:
                    await executor.start()
                except SandboxUnavailableError as problem:
                    report["skipped"][name] = str(problem)
                    del executors[name]
            samples = {(name, lang): [] for name in executors for lang in BLOCKS}
            for round_number in range(WARMUP + ROUNDS):
                names = list(executors)
                shift = round_number % len(names)
                order = names[shift:] + names[:shift]
                for lang, make_block in BLOCKS.items():
                    for name in order:
                        n = name if SAME_CODE else f"{name}-{round_number}"
                        elapsed = await timed(executors[name], make_block(n), n)
                        if round_number >= WARMUP:
                            samples[(name, lang)].append(elapsed)
            for executor in executors.values():
                await executor.stop()
        for lang in BLOCKS:
            report[lang] = {
                name: {
                    "median_ms": statistics.median(samples[(name, lang)]) * 1000,
                    "mean_ms": statistics.fmean(samples[(name, lang)]) * 1000,
                }
                for name in executors
            }
        print(json.dumps(report))


    asyncio.run(main())
    """
)


# (label, numerator, denominator, goal for the median ratio)
RATIOS = [
    ("generated / autogen-ext", "generated", "autogen-ext", 1.05),
    ("bubblewrap / generated", "bubblewrap", "generated", 1.5),
]


def build_venv(work: Path, python: str) -> Path:
    project = render(ANSWERS, work / "project", source=snapshot(work / "template"))
    venv = work / "venv"
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    subprocess.run(["uv", "venv", "-q", "-p", python, str(venv)], check=True, env=env)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    venv_python = bin_dir / ("python.exe" if os.name == "nt" else "python")
    subprocess.run(
        ["uv", "pip", "install", "-q", "-p", str(venv_python), str(project), "autogen-ext==0.7.5"],
        check=True,
        env=env,
    )
    return venv_python


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=300, help="measured rounds (each runs every block once)")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured rounds first")
    parser.add_argument("--same-code", action="store_true", help="repeat identical blocks (like retries)")
    parser.add_argument("--python", default="3.11", help="Python version (or interpreter path) for the venv")
    args = parser.parse_args()
    python = args.python if os.sep in args.python else (find_python(args.python) or args.python)

    with tempfile.TemporaryDirectory(prefix="bench-code-executor-") as tmp:
        work = Path(tmp)
        venv_python = build_venv(work, python)
        script = work / "measure.py"
        script.write_text(MEASURE, encoding="utf-8")
        completed = subprocess.run(
            [str(venv_python), str(script), str(args.rounds), str(args.warmup), "same" if args.same_code else "new"],
            check=True,
            capture_output=True,
            text=True,
            cwd=work,
        )
        report = json.loads(completed.stdout.strip().splitlines()[-1])
        version = subprocess.run(
            [str(venv_python), "-c", "import platform; print(platform.python_version())"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    code = "identical code in every call" if args.same_code else "new code in every call"
    print(f"Python {version}, {os.cpu_count()} CPUs, {args.rounds} rounds after {args.warmup} warm-up rounds, {code}")
    for name, reason in report.pop("skipped").items():
        print(f"{name}: not measured ({reason})")
    print(f"{'block':<8}{'executor':<13}{'median ms':>10}{'mean ms':>10}")
    for lang, by_executor in report.items():
        for name, figures in by_executor.items():
            print(f"{lang:<8}{name:<13}{figures['median_ms']:>10.2f}{figures['mean_ms']:>10.2f}")
    print()
    for label, numerator, denominator, goal in RATIOS:
        worst = 0.0
        for lang, by_executor in report.items():
            if numerator not in by_executor:
                continue
            top, bottom = by_executor[numerator], by_executor[denominator]
            median_ratio = top["median_ms"] / bottom["median_ms"]
            mean_ratio = top["mean_ms"] / bottom["mean_ms"]
            worst = max(worst, median_ratio)
            print(f"{lang}: ratio {label} = {median_ratio:.3f} (median), {mean_ratio:.3f} (mean)")
        if worst:
            verdict = "meets" if worst <= goal else "misses"
            print(f"worst median ratio {label} {worst:.3f}: {verdict} the goal of <= {goal}")


if __name__ == "__main__":
    main()
