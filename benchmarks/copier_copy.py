"""How long `copier copy --defaults` of this template takes, against copier's own floor.

    uv run python benchmarks/copier_copy.py [--rounds 7] [--phases] [--also REV ...] [--with-fixes]

The floor is a one-file template (one question, one templated file) in a git repository of its own: what any
`copier copy` costs before a template adds anything (starting Python, importing copier, cloning, cleaning up).
Both are copied exactly as README's first command copies this template (`--defaults --vcs-ref=HEAD`, no
`--trust`), in fresh processes that take turns within each round, so load on the machine hits them alike.
The figure kept is each one's best round; the goal is `ours / floor` at most 1.5. `--also REV` copies this
repository at other revisions in the same rounds (an earlier release, say), for a before-and-after.

With `--with-fixes`, both templates are also copied, in the same rounds, by copier with its two per-path costs
taken out (benchmarks/copier_with_fixes.py: a compile cache for path names, one `git config` per run), to show
what those fixes upstream would buy and what would remain.

With `--phases`, the same copy also runs in this process with copier's own steps timed (the median of the
rounds), to show where this template's time goes: cloning, the questions, rendering path names, rendering
file contents, and the `git config` call copier makes after writing each file.

The template is the committed HEAD of this checkout (copier renders a dirty tree's uncommitted changes too).
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
GOAL = 1.5
RECORDED_RATIO = 1.95
RECORDED_FILES = 147
"""The ratio docs/benchmarks.md records, and how many files the default copy rendered then: copy time follows the
file count (docs/decisions/0004-copy-time.md), so tests/test_render_matrix.py fails when the default copy renders
another number, until the change re-measures and records both here and in docs/benchmarks.md."""
COPIER = [sys.executable, "-m", "copier"]
COPIER_WITH_FIXES = [sys.executable, str(Path(__file__).with_name("copier_with_fixes.py"))]


def _floor_template(root: Path) -> Path:
    """A one-question, one-file template in its own git repository."""
    root.mkdir()
    (root / "copier.yml").write_text('name:\n  type: str\n  default: "floor"\n', encoding="utf-8")
    (root / "README.md.jinja").write_text("# {{ name }}\n", encoding="utf-8")
    git = ["git", "-C", str(root), "-c", "user.name=bench", "-c", "user.email=bench@example.org"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "floor"]):
        subprocess.run([*git, *args], check=True)
    return root


def _timed_copy(template: Path, destination: Path, ref: str = "HEAD", copier: list[str] = COPIER) -> float:
    shutil.rmtree(destination, ignore_errors=True)
    command = [*copier, "copy", "--quiet", "--defaults", f"--vcs-ref={ref}"]
    start = time.perf_counter()
    subprocess.run([*command, str(template), str(destination)], check=True)
    return time.perf_counter() - start


def _written(root: Path) -> dict[str, tuple[bytes, int]]:
    """Each file a copy wrote, with its bytes and mode; `_commit` is left out (a dirty checkout is copied
    through a fresh draft commit each time, so it differs between copies of the same tree)."""
    files = {str(path.relative_to(root)): path for path in root.rglob("*") if path.is_file()}
    return {
        name: (
            b"\n".join(line for line in path.read_bytes().split(b"\n") if not line.startswith(b"_commit: ")),
            path.stat().st_mode,
        )
        for name, path in files.items()
    }


def _phases(template: Path, destination: Path, rounds: int) -> dict[str, float]:
    """Median seconds per copier step, copying `template` in this process."""
    import copier
    from copier import _main

    spent: Counter[str] = Counter()

    def timed(owner: Any, name: str, label: str) -> None:
        original: Callable[..., Any] = getattr(owner, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                result = original(*args, **kwargs)
                # _render_path is a generator: its work happens while it is consumed.
                return list(result) if hasattr(result, "__next__") else result
            finally:
                spent[label] += time.perf_counter() - start

        setattr(owner, name, wrapper)

    # Nested steps are timed apart and subtracted below, so each line counts its own work once.
    timed(_main.Worker, "_ask", "questions")
    timed(_main.Worker, "_render_path", "path names (+ clone on first use)")
    timed(_main.Worker, "_render_file", "file contents")
    timed(_main.Worker, "_sync_git_index_executable_bit", "copier's git call per file")
    timed(_main.Worker, "_cleanup", "cleanup")
    totals: list[float] = []
    per_round: list[Counter[str]] = []
    warnings.simplefilter("ignore")  # DirtyLocalWarning and friends: not what is measured
    for _ in range(rounds + 1):  # the first round warms imports and is not counted
        spent.clear()
        shutil.rmtree(destination, ignore_errors=True)
        start = time.perf_counter()
        copier.run_copy(str(template), destination, defaults=True, vcs_ref="HEAD", quiet=True, unsafe=False)
        totals.append(time.perf_counter() - start)
        per_round.append(Counter(spent))
    per_round, totals = per_round[1:], totals[1:]
    result = {label: statistics.median(r[label] for r in per_round) for label in per_round[0]}
    result["file contents"] -= result["copier's git call per file"]
    result["in process, total"] = statistics.median(totals)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="rounds (default 7); each copies both templates")
    parser.add_argument("--phases", action="store_true", help="also time copier's steps for this template")
    parser.add_argument("--also", nargs="+", default=[], metavar="REV", help="also copy this repository at REV")
    parser.add_argument("--with-fixes", action="store_true", help="also copy both with copier's per-path costs fixed")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-copy-") as scratch:
        work = Path(scratch)
        floor = _floor_template(work / "floor")
        times: dict[str, list[float]] = {"floor": [], "this template": [], **{f"at {rev}": [] for rev in options.also}}
        if options.with_fixes:
            times |= {"floor, fixed": [], "ours, fixed": []}
        _timed_copy(REPO_ROOT, work / "warm")  # fills the OS cache for both; not counted
        for _ in range(options.rounds):
            times["floor"].append(_timed_copy(floor, work / "out-floor"))
            times["this template"].append(_timed_copy(REPO_ROOT, work / "out-ours"))
            for rev in options.also:
                times[f"at {rev}"].append(_timed_copy(REPO_ROOT, work / "out-also", rev))
            if options.with_fixes:
                times["floor, fixed"].append(_timed_copy(floor, work / "out-floor", copier=COPIER_WITH_FIXES))
                times["ours, fixed"].append(_timed_copy(REPO_ROOT, work / "out-fixed", copier=COPIER_WITH_FIXES))
        files = sum(1 for path in (work / "out-ours").rglob("*") if path.is_file())
        print(f"copier copy --defaults, {options.rounds} rounds; {platform.python_version()}, {platform.machine()}")
        print(f"{'template':<16}{'best s':>9}{'median s':>10}")
        for name, seconds in times.items():
            print(f"{name:<16}{min(seconds):>9.3f}{statistics.median(seconds):>10.3f}")
        ratio = min(times["this template"]) / min(times["floor"])
        verdict = "meets" if ratio <= GOAL else "misses"
        print(f"ours / floor: {ratio:.2f}x (goal <= {GOAL}x: {verdict}); {files} files rendered")
        print(f"recorded: {RECORDED_RATIO:.2f}x with {RECORDED_FILES} files (docs/benchmarks.md)")
        for rev in options.also:
            print(f"at {rev} / floor: {min(times[f'at {rev}']) / min(times['floor']):.2f}x")
        if options.with_fixes:
            fixed = min(times["ours, fixed"]) / min(times["floor, fixed"])
            print(f"with copier's per-path costs fixed, ours / floor: {fixed:.2f}x")
            if _written(work / "out-ours") != _written(work / "out-fixed"):
                sys.exit("the fixed copier wrote different files: its figure does not count")
            print("  (it wrote the same files, bytes and modes as copier)")
        if options.phases:
            print("\nwhere this template's time goes (in process, median of rounds):")
            for label, seconds in _phases(REPO_ROOT, work / "out-phases", options.rounds).items():
                print(f"  {label:<36}{seconds * 1000:>8.0f} ms")


if __name__ == "__main__":
    main()
