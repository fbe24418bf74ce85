"""Speed of the generated memory beside autogen-core's ListMemory and a naive Python scan, at 1k, 10k, 100k memories.

    uv run python benchmarks/memory.py            # or: [--sizes 1000 10000 100000] [--queries 300] [--python 3.11]

What it does, in one run (about a minute on 2 cores):

1. renders the template (working tree) with `components=[memory]` and installs it with uv in a new
   virtual environment;
2. inside it, for each size, fills three memories with the same synthetic corpus: the generated memory (an
   SQLite file in WAL mode), `ListMemory`, and a naive scan (a Python list of word sets: a query scores
   every memory by the query words it contains and keeps the best `k`, which is what a hand-written
   keyword memory does);
3. prints add throughput (one `add()` per memory, one transaction each, for the first 1,000 (at most half);
   then `add_many()` batches of 1,000) and query latency (p50 and p95 of the same queries for each), with the
   ratios, and how many of the top results the default search budget shares with exact BM25.

The corpus imitates text: words drawn from a 20,000-word vocabulary with Zipf frequencies plus English
function words ("the", "of", ...) in 40 % of the positions, 8 to 20 words per memory; each query is an 8-word
sentence drawn the same way, as a user's message is. The generated memory is measured twice: with its
default search budget (a query ranks at most `DEFAULT_SEARCH_BUDGET` index entries, leaving out its
commonest words when rarer ones are present) and with `search_budget=None` (exact BM25 over every word).
`ListMemory` does no search at all: its query returns every memory, which the agent then puts in the
model context. Goal: query p50 at 100,000 memories under 5 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import importlib
import itertools
import os
import platform
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PYTHON = "3.11"
DEFAULT_SIZES = [1_000, 10_000, 100_000]
K = 5
SINGLE_ADDS = 1_000  # add() calls timed per size; the rest of the corpus goes in with add_many()
BATCH = 1_000
FUNCTION_WORDS = "the a of to and in is that for it on with as was at by be this are from or an".split()
VOCABULARY = [f"w{n}" for n in range(20_000)]
CUMULATIVE_WEIGHTS = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(VOCABULARY))))
WORD = re.compile(r"[^\W_]+")


# ---- orchestration (runs in the repository's environment) ---------------------------------------------------


def orchestrate(python: str, sizes: list[int], queries: int) -> None:
    from hooks.interpreters import find_python
    from hooks.render import render, snapshot

    python = find_python(python) or python
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        started = time.perf_counter()
        project = render({"components": ["memory"]}, Path(tmp) / "project", source=snapshot(Path(tmp) / "tpl"))
        answers = (project / ".copier-answers.yml").read_text()
        fields = dict(line.split(": ", 1) for line in answers.splitlines() if ": " in line)
        venv = Path(tmp) / "venv"
        subprocess.run(["uv", "venv", "-q", "-p", python, str(venv)], env=env, check=True)
        venv_python = str(venv / "bin" / "python")
        subprocess.run(["uv", "pip", "install", "-q", "-p", venv_python, str(project)], env=env, check=True)
        print(f"environment ready in {time.perf_counter() - started:.0f}s", flush=True)
        memory_class = f"{fields['package_name']}.memory.{fields['memory_class']}"
        subprocess.run(
            [venv_python, __file__, "--measure", memory_class, str(queries), *map(str, sizes)],
            cwd=tmp,
            env=env,
            check=True,
        )


# ---- the measurement (runs inside the created environment) --------------------------------------------------


def sentences(count: int, rng: random.Random, shortest: int, longest: int) -> list[str]:
    """`count` pieces of synthetic text: Zipf-distributed words, function words in 40 % of the positions."""

    def sentence(words: int) -> str:
        picked = rng.choices(VOCABULARY, cum_weights=CUMULATIVE_WEIGHTS, k=words)
        return " ".join(rng.choice(FUNCTION_WORDS) if rng.random() < 0.4 else word for word in picked)

    return [sentence(rng.randint(shortest, longest)) for _ in range(count)]


class NaiveScan:
    """A hand-written keyword memory: every query scores every memory by the query words it contains."""

    def __init__(self) -> None:
        self.memories: list[tuple[str, frozenset[str]]] = []

    def add(self, text: str) -> None:
        self.memories.append((text, frozenset(WORD.findall(text.lower()))))

    def query(self, text: str, k: int) -> list[str]:
        words = set(WORD.findall(text.lower()))
        scored = ((len(words & memory_words), memory) for memory, memory_words in self.memories)
        return [memory for score, memory in heapq.nlargest(k, scored) if score > 0]


async def _timed(calls: list[Callable[[], Awaitable[Any]]]) -> list[float]:
    times = []
    for call in calls:
        started = time.perf_counter()
        await call()
        times.append(time.perf_counter() - started)
    return times


def _p(times: list[float], percent: int) -> float:
    return statistics.quantiles(times, n=100)[percent - 1] * 1e3 if len(times) > 1 else times[0] * 1e3


async def measure_size(memory_class: Any, store_class: Any, size: int, queries: int, workdir: Path) -> None:
    from autogen_core.memory import ListMemory, MemoryContent, MemoryMimeType

    memories = sentences(size, random.Random(size), 8, 20)
    questions = sentences(queries, random.Random(-size), 8, 8)

    def content(text: str) -> MemoryContent:
        return MemoryContent(content=text, mime_type=MemoryMimeType.TEXT)

    path = workdir / f"memory-{size}.db"
    ours = memory_class(path=path, k=K)
    exact = memory_class(store=store_class(path, search_budget=None), k=K)
    listed = ListMemory()
    naive = NaiveScan()

    singles = memories[: min(SINGLE_ADDS, size // 2)]
    started = time.perf_counter()
    for text in singles:
        await ours.add(content(text))
    add_rate = len(singles) / (time.perf_counter() - started)
    started = time.perf_counter()
    for start in range(len(singles), size, BATCH):
        await ours.add_many([content(text) for text in memories[start : start + BATCH]])
    batch_rate = (size - len(singles)) / (time.perf_counter() - started)
    started = time.perf_counter()
    for text in memories:
        await listed.add(content(text))
    list_rate = size / (time.perf_counter() - started)
    started = time.perf_counter()
    for text in memories:
        naive.add(text)
    naive_rate = size / (time.perf_counter() - started)

    for question in questions[:20]:  # warm the page cache and the interpreter alike for every contender
        await ours.query(question)
        await exact.query(question)
    ours_times = await _timed([lambda q=q: ours.query(q) for q in questions])
    exact_times = await _timed([lambda q=q: exact.query(q) for q in questions])
    shared = best_kept = 0.0
    for question in questions:  # how much the search budget changes the answer
        budgeted = {str(r.content) for r in (await ours.query(question)).results}
        exactly = [str(r.content) for r in (await exact.query(question)).results]
        shared += len(budgeted & set(exactly)) / max(1, len(exactly))
        best_kept += not exactly or exactly[0] in budgeted
    list_times = await _timed([lambda q=q: listed.query(q) for q in questions])

    async def scan(question: str) -> list[str]:
        return naive.query(question, K)

    naive_times = await _timed([lambda q=q: scan(q) for q in questions[: max(20, queries // 10)]])
    await ours.close()
    await exact.close()

    ours_p50 = _p(ours_times, 50)
    print(f"\n{size:,} memories ({path.stat().st_size / 1e6:.1f} MB database)")
    print(f"  {'add':<44} {'per second':>12} {'vs ours':>9}")
    for label, rate in (
        ("ours: add(), one transaction each", add_rate),
        ("ours: add_many(), 1,000 per transaction", batch_rate),
        ("ListMemory.add() (a list append)", list_rate),
        ("naive scan: append", naive_rate),
    ):
        print(f"  {label:<44} {rate:>12,.0f} {rate / add_rate:>8.1f}x")
    print(f"  {'query (k=5)':<44} {'p50 ms':>8} {'p95 ms':>8} {'p50 / ours':>11}")
    for label, times in (
        ("ours (default search budget)", ours_times),
        ("ours, exact BM25 (search_budget=None)", exact_times),
        ("ListMemory.query() (returns everything)", list_times),
        ("naive scan (every memory, every query)", naive_times),
    ):
        print(f"  {label:<44} {_p(times, 50):>8.2f} {_p(times, 95):>8.2f} {_p(times, 50) / ours_p50:>10.1f}x")
    print(
        f"  default budget vs exact BM25: {shared / len(questions):.0%} of the top {K} shared, "
        f"exact best result among them in {best_kept / len(questions):.0%} of queries"
    )


def measure(memory_path: str, queries: int, sizes: list[int]) -> None:
    module_name, _, class_name = memory_path.rpartition(".")
    module = importlib.import_module(module_name)
    memory_class, store_class = getattr(module, class_name), module.SQLiteStore
    print(
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs, "
        f"{queries} queries per size, k={K}, search budget {module.DEFAULT_SEARCH_BUDGET}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-memory-db-") as workdir:
        for size in sizes:
            asyncio.run(measure_size(memory_class, store_class, size, queries, Path(workdir)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=DEFAULT_PYTHON, help="interpreter for the environment (uv -p)")
    parser.add_argument("--sizes", type=int, nargs="+", default=DEFAULT_SIZES, help="memories per run")
    parser.add_argument("--queries", type=int, default=300, help="queries timed per size and contender")
    parser.add_argument("--measure", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        memory_path, queries, *sizes = args.measure
        measure(memory_path, int(queries), [int(size) for size in sizes])
    else:
        sys.path.insert(0, str(REPO_ROOT))
        orchestrate(args.python, args.sizes, args.queries)


if __name__ == "__main__":
    main()
