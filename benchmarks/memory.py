"""Quality and speed of the generated memory on real text (beside exact BM25, tantivy and PostgreSQL) and speed on
synthetic text (beside autogen-core's ListMemory and a naive Python scan), at 1k, 10k, 100k memories.

    uv run python benchmarks/memory.py   # or: [--sizes 1000 10000 100000] [--queries 300] [--python 3.11]
                                         #     [--corpus real|synthetic|both]

What it does, in one run (a few minutes on 2 cores):

1. renders the template (working tree) with `components=[memory]` and installs it with uv in a new virtual
   environment, with botocore 1.40.0 (the real-text corpus), tantivy 0.27.0 (a reference search engine;
   skipped, with a note, where the interpreter has no wheel) and, where PostgreSQL is installed, psycopg for
   this repository's PostgreSQL store (`tests/seams/postgres/`), on a private cluster started for the run;
2. inside it, for each size, prints the real-text table, then the synthetic one (`--corpus` picks one).

Real text: every paragraph of the documentation in botocore's AWS service models, de-duplicated and shuffled
the same way on any machine (about 163,700 paragraphs of about 21 words; a size uses the first N). It is
English written for people, with many near-duplicates (the same sentence about another resource, service or
API version): the hard case of telling similar memories apart. Each query is a known-item query: 3 to 5 words
of one paragraph, in their order, the way people half-remember something; the right answer is that paragraph.
The contenders, filled in batches of 1,000 and asked the same queries for their top 10:

- default: the generated memory exactly as a user gets it (`path=..., k=10`, `add_many()`, `query()`);
- exact BM25: FTS5's bm25 over every memory that matches any query word, nothing left out: the ranking the
  default must match;
- tantivy: a dedicated search engine's BM25 with English stemming, on the same text;
- PostgreSQL store: the generated memory on `tests/seams/postgres/postgres_store.py` (`ts_rank`), where
  PostgreSQL is installed.

For each: MRR@10 (1 / rank of the right paragraph in the top 10, else 0, averaged), recall@5, query p50 and p95
(each query timed alone, after 20 warm-up queries), adds per second over the whole fill; then how far the
default's MRR@10 is from exact BM25's and how often its top 10 is the same, in the same order.

Synthetic text (the speed table, beside what a user would otherwise use): for each size, three memories get the
same corpus: the generated memory (an SQLite file in WAL mode), `ListMemory`, and a naive scan (a Python list of
word sets: a query scores every memory by the query words it contains and keeps the best `k`, which is what a
hand-written keyword memory does). It prints add throughput (one `add()` per memory, one transaction each, for
the first 1,000 (at most half); then `add_many()` batches of 1,000) and query latency (p50 and p95 of the same
queries for each), with the ratios. The corpus imitates text: words drawn from a 20,000-word vocabulary with Zipf
frequencies plus English function words ("the", "of", ...) in 40 % of the positions, 8 to 20 words per memory;
each query is an 8-word sentence drawn the same way, as a user's message is. Where the store still takes a
`search_budget`, the generated memory is also measured with `search_budget=None` (exact BM25 over every word),
with how many of the top results the default shares with it. `ListMemory` does no search at all: its query
returns every memory, which the agent then puts in the model context.

Goals: at 100,000 real-text memories, the default's MRR@10 within 0.02 of exact BM25's, query p50 at most 2 ms
and p95 at most 5 ms, and add throughput no worse than before (`add_many()` about 72,000 memories a second at
100,000 synthetic ones, docs/components/memory.md).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gzip
import heapq
import html
import importlib
import importlib.util
import inspect
import itertools
import json
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
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from tests.seams.postgres.cluster import PostgresCluster

REPO_ROOT = Path(__file__).resolve().parent.parent
POSTGRES_SEAM = REPO_ROOT / "tests" / "seams" / "postgres"
POSTGRES_DSN = "MEMORY_POSTGRES_DSN"  # the variable postgres_store.make_store() reads (its DSN_VARIABLE)
DEFAULT_PYTHON = "3.11"
DEFAULT_SIZES = [1_000, 10_000, 100_000]
CORPUS = "botocore==1.40.0"
ENGINE = "tantivy==0.27.0"
TOP = 10  # real text: results per query, as MRR@10
RECALL_DEPTH = 5
WARM_UP = 20
K = 5  # synthetic text: results per query
SINGLE_ADDS = 1_000  # add() calls timed per size; the rest of the corpus goes in with add_many()
BATCH = 1_000
FUNCTION_WORDS = "the a of to and in is that for it on with as was at by be this are from or an".split()
VOCABULARY = [f"w{n}" for n in range(20_000)]
CUMULATIVE_WEIGHTS = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(VOCABULARY))))
WORD = re.compile(r"[^\W_]+")
LETTERS = re.compile(r"[A-Za-z]+")
PARAGRAPH_END = re.compile(r"</p>|<br\s*/?>|</li>|\n\s*\n")
TAG = re.compile(r"<[^>]*>")


# ---- orchestration (runs in the repository's environment) ---------------------------------------------------


def orchestrate(python: str, sizes: list[int], queries: int, corpus: str) -> None:
    """Build the environment the measurement runs in (the rendered package and the contenders'), then run it."""
    from hooks.interpreters import find_python
    from hooks.render import render, snapshot
    from tests.seams.postgres.cluster import psycopg_requirement

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
        install = functools.partial(_install, venv_python, env)
        install(str(project))
        cluster = None
        if corpus != "synthetic":
            install(CORPUS)
            failure = install("--only-binary", "tantivy", ENGINE, required=False)
            if failure:
                print(f"tantivy skipped: {ENGINE} did not install for {python} (its wheels are cp311-abi3):")
                print("  " + failure.strip().replace("\n", "\n  "))
            cluster = _postgres_cluster()
            if cluster is not None:
                install(psycopg_requirement())
        print(f"environment ready in {time.perf_counter() - started:.0f}s", flush=True)
        memory_class = f"{fields['package_name']}.memory.{fields['memory_class']}"
        command = [venv_python, __file__, "--corpus", corpus, "--measure", memory_class, str(queries), *map(str, sizes)]
        if cluster is None:
            subprocess.run(command, cwd=tmp, env=env, check=True)
            return
        try:
            cluster.start()
            postgres_env = {**env, POSTGRES_DSN: cluster.dsn, "PYTHONPATH": str(POSTGRES_SEAM)}
            subprocess.run(command, cwd=tmp, env=postgres_env, check=True)
        finally:
            cluster.stop()


def _install(venv_python: str, env: dict[str, str], *requirements: str, required: bool = True) -> str:
    """Install into the benchmark's environment. An optional install may fail: it returns uv's message, else ""."""
    proc = subprocess.run(
        ["uv", "pip", "install", "-q", "-p", venv_python, *requirements],
        env=env,
        capture_output=not required,
        text=True,
        check=required,
    )
    return proc.stderr if proc.returncode else ""


def _postgres_cluster() -> PostgresCluster | None:
    """A PostgreSQL cluster ready to start for the PostgreSQL store's column, or None (the reason is printed)."""
    from tests.seams.postgres.cluster import PostgresCluster

    cluster = PostgresCluster.find()
    if isinstance(cluster, str):
        print(f"PostgreSQL store skipped: {cluster}")
        return None
    return cluster


# ---- real text (runs inside the created environment) --------------------------------------------------------


def _p(times: list[float], percent: int) -> float:
    """A percentile of timings, in ms."""
    return statistics.quantiles(times, n=100)[percent - 1] * 1e3 if len(times) > 1 else times[0] * 1e3


def botocore_paragraphs() -> list[str]:
    """Every distinct documentation paragraph of botocore's AWS service models, in a fixed shuffled order.

    Why this corpus: it is real English written for people (about 163,700 paragraphs of about 21 words), it
    ships in a pinned package (the same text on any machine, offline once installed), and it is full of
    near-duplicates (the same sentence about another resource, service or API version), which is the hard
    case of a memory: telling similar memories apart. Paragraphs end at `</p>`, `<br>`, `</li>` and blank
    lines; tags become spaces, entities are unescaped, whitespace is collapsed; a paragraph needs at least 8
    words of letters; the first of identical paragraphs is kept; the shuffle makes any first N a fair sample.
    """
    import botocore

    paragraphs: dict[str, None] = {}  # an ordered set: the first occurrence wins
    for path in sorted((Path(botocore.__file__).parent / "data").glob("*/*/service-2.json.gz")):
        for documentation in _documentation(json.loads(gzip.decompress(path.read_bytes()))):
            for piece in PARAGRAPH_END.split(documentation):
                paragraph = " ".join(html.unescape(TAG.sub(" ", piece)).split())
                if len(LETTERS.findall(paragraph)) >= 8:
                    paragraphs.setdefault(paragraph, None)
    shuffled = list(paragraphs)
    random.Random(17).shuffle(shuffled)
    return shuffled


def _documentation(node: Any) -> Iterator[str]:
    """Every `documentation` string of a service model, however deep: service, operations, shapes, members."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "documentation" and isinstance(value, str):
                yield value
            else:
                yield from _documentation(value)
    elif isinstance(node, list):
        for item in node:
            yield from _documentation(item)


def known_item_queries(paragraphs: list[str], count: int) -> list[tuple[str, int]]:
    """`count` queries with the index of their one right answer: 3 to 5 words of that paragraph, in order.

    That is how people half-remember something they were told; and since the words are the paragraph's own,
    a search that ranks well puts it first, so the rank of the right answer measures retrieval quality.
    """
    rng = random.Random(5)
    queries = []
    for _ in range(count):
        target = rng.randrange(len(paragraphs))
        words = WORD.findall(paragraphs[target].lower())
        picked = sorted(rng.sample(range(len(words)), min(rng.randint(3, 5), len(words))))
        queries.append((" ".join(words[position] for position in picked), target))
    return queries


class Contender(Protocol):
    """What the real-text table measures: a fill, a top-10 search answering paragraph indices, a close."""

    label: str

    async def fill(self, paragraphs: list[str]) -> None: ...

    async def search(self, text: str) -> list[int]: ...

    async def close(self) -> None: ...


class MemoryContender:
    """The generated memory through its public API only (`add_many`, `query`, `close`): any store behind it."""

    def __init__(self, label: str, memory: Any, paragraphs: list[str]) -> None:
        self.label = label
        self.memory = memory
        self.index_of = {paragraph: index for index, paragraph in enumerate(paragraphs)}  # the corpus is distinct

    async def fill(self, paragraphs: list[str]) -> None:
        from autogen_core.memory import MemoryContent, MemoryMimeType

        for start in range(0, len(paragraphs), BATCH):
            batch = paragraphs[start : start + BATCH]
            await self.memory.add_many([MemoryContent(content=text, mime_type=MemoryMimeType.TEXT) for text in batch])

    async def search(self, text: str) -> list[int]:
        return [self.index_of[str(result.content)] for result in (await self.memory.query(text)).results]

    async def close(self) -> None:
        await self.memory.close()


class ExactBM25:
    """The reference ranking: FTS5's bm25 over every memory matching any query word, none left out.

    Its own SQLite file, WAL and synchronous=NORMAL (the durability the default store has), porter-stemmed
    words, one transaction per 1,000 adds; each query word is an FTS5 string, so nothing in it is syntax. Plain
    synchronous calls: the reference is the ranking, and its latency shows what ranking every match costs.
    """

    label = "exact BM25 (FTS5, every match)"

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(path)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=NORMAL")
        self.connection.execute(
            "CREATE VIRTUAL TABLE t USING fts5(content, tokenize='porter unicode61 remove_diacritics 2')"
        )

    async def fill(self, paragraphs: list[str]) -> None:
        for start in range(0, len(paragraphs), BATCH):
            with self.connection:  # one transaction
                rows = enumerate(paragraphs[start : start + BATCH], start)
                self.connection.executemany("INSERT INTO t (rowid, content) VALUES (?, ?)", rows)

    async def search(self, text: str) -> list[int]:
        words = dict.fromkeys(WORD.findall(text.lower()))
        match = " OR ".join('"' + word.replace('"', '""') + '"' for word in words)
        rows = self.connection.execute("SELECT rowid FROM t WHERE t MATCH ? ORDER BY rank LIMIT ?", (match, TOP))
        return [rowid for (rowid,) in rows]

    async def close(self) -> None:
        self.connection.close()


class Tantivy:
    """A dedicated search engine as a second reference: tantivy's BM25 over English-stemmed words (`en_stem`).

    API choices (tantivy-py 0.27): the text field uses the built-in `en_stem` tokenizer, which Python cannot
    call, so queries are analysed by a `TextAnalyzer` built the way tantivy builds `en_stem` (simple tokenizer,
    tokens over 40 bytes dropped, lower-cased, English Snowball stemmer; checked when this was written: every
    token of the first 10k paragraphs has the same document frequency in an `en_stem` field as in one indexed
    with this analyzer). A query is built, never parsed, so nothing in it
    is syntax: one SHOULD term query per distinct token in a boolean query, BM25 over every match as in the
    FTS5 reference. Results map back to paragraphs through a stored integer id. The fill uses one indexing
    thread (SQLite has one writer too) and commits every 1,000 documents, like the others' transactions; it
    ends when the background merges have (FTS5 merges inside its commits), so the merges neither escape the
    add throughput nor steal a core from the query timings. `search(count=False)`: no total is needed, and
    counting would visit every match instead of letting tantivy skip those that cannot reach the top 10.
    """

    def __init__(self, directory: Path) -> None:
        import tantivy

        self.label = f"tantivy {version('tantivy')} (en_stem, BM25)"
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("text", stored=True, tokenizer_name="en_stem")
        builder.add_integer_field("id", stored=True)
        self.schema = builder.build()
        directory.mkdir()
        self.index = tantivy.Index(self.schema, path=str(directory))
        self.analyzer = (
            tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.remove_long(40))
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.stemmer("english"))
            .build()
        )

    async def fill(self, paragraphs: list[str]) -> None:
        import tantivy

        writer = self.index.writer(heap_size=64_000_000, num_threads=1)
        for start in range(0, len(paragraphs), BATCH):
            for index, text in enumerate(paragraphs[start : start + BATCH], start):
                writer.add_document(tantivy.Document(text=text, id=index))
            writer.commit()
        writer.wait_merging_threads()  # also releases the index's writer lock
        self.index.reload()
        self.searcher = self.index.searcher()

    async def search(self, text: str) -> list[int]:
        import tantivy

        terms = dict.fromkeys(self.analyzer.analyze(text))
        query = tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(self.schema, "text", term)) for term in terms]
        )
        hits = self.searcher.search(query, TOP, count=False).hits
        return [self.searcher.doc(address).get_first("id") for _, address in hits]

    async def close(self) -> None:
        del self.searcher, self.index  # tantivy-py has no close(): dropping them releases the files


@dataclass
class Outcome:
    """One contender's answers to the known-item queries, with its timings."""

    label: str
    adds_per_second: float
    times: list[float]
    rankings: list[list[int]]
    targets: list[int]

    def mrr(self) -> float:
        return statistics.fmean(
            1 / (ranking.index(target) + 1) if target in ranking[:TOP] else 0.0
            for ranking, target in zip(self.rankings, self.targets, strict=True)
        )

    def recall(self) -> float:
        found = (target in ranking[:RECALL_DEPTH] for ranking, target in zip(self.rankings, self.targets, strict=True))
        return statistics.fmean(found)


async def run_contender(contender: Contender, paragraphs: list[str], queries: list[tuple[str, int]]) -> Outcome:
    """Fill one contender, time each query alone after the warm-up, and close it before the next one runs."""
    started = time.perf_counter()
    await contender.fill(paragraphs)
    adds_per_second = len(paragraphs) / (time.perf_counter() - started)
    for text, _ in queries[:WARM_UP]:  # warm the page cache and the interpreter alike for every contender
        await contender.search(text)
    times, rankings = [], []
    for text, _ in queries:
        started = time.perf_counter()
        rankings.append(await contender.search(text))
        times.append(time.perf_counter() - started)
    await contender.close()
    return Outcome(contender.label, adds_per_second, times, rankings, [target for _, target in queries])


def real_text_contenders(memory_class: Any, paragraphs: list[str], workdir: Path) -> list[Contender]:
    """The default first (the ratios are to it), exact BM25 second (the agreement line compares them)."""
    size = len(paragraphs)
    contenders: list[Contender] = [
        MemoryContender("default", memory_class(path=workdir / f"real-{size}.db", k=TOP), paragraphs),
        ExactBM25(workdir / f"exact-{size}.db"),
    ]
    if importlib.util.find_spec("tantivy") is not None:  # installed where the interpreter has a wheel
        contenders.append(Tantivy(workdir / f"tantivy-{size}"))
    if POSTGRES_DSN in os.environ:  # set where a PostgreSQL cluster runs for this benchmark
        from postgres_store import make_store

        store = make_store(workdir / f"postgres-{size}")  # a table of its own
        contenders.append(MemoryContender("PostgreSQL store", memory_class(k=TOP, store=store), paragraphs))
    return contenders


async def measure_real_text(memory_class: Any, paragraphs: list[str], queries: int, workdir: Path) -> None:
    """The real-text table for one size: every contender on the same paragraphs and the same queries."""
    questions = known_item_queries(paragraphs, queries)
    outcomes = [
        await run_contender(contender, paragraphs, questions)
        for contender in real_text_contenders(memory_class, paragraphs, workdir)
    ]
    default, exact = outcomes[0], outcomes[1]
    default_p50 = _p(default.times, 50)
    print(
        f"\n{len(paragraphs):,} real-text memories (botocore {version('botocore')} documentation paragraphs), "
        f"{queries} known-item queries, top {TOP}"
    )
    print(
        f"  {'contender':<32} {'MRR@10':>7} {'recall@5':>9} {'p50 ms':>7} {'p95 ms':>7} {'p50/default':>12} "
        f"{'adds/s':>9}"
    )
    for outcome in outcomes:
        p50 = _p(outcome.times, 50)
        print(
            f"  {outcome.label:<32} {outcome.mrr():>7.3f} {outcome.recall():>9.3f} {p50:>7.2f} "
            f"{_p(outcome.times, 95):>7.2f} {p50 / default_p50:>11.2f}x {outcome.adds_per_second:>9,.0f}"
        )
    same = statistics.fmean(ours == theirs for ours, theirs in zip(default.rankings, exact.rankings, strict=True))
    print(
        f"  default vs exact BM25: MRR difference {default.mrr() - exact.mrr():+.3f}, "
        f"same top-{TOP} in {same:.0%} of queries"
    )


# ---- synthetic text (runs inside the created environment) ---------------------------------------------------


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


def exact_store_factory(module: Any) -> Callable[[Path], Any] | None:
    """`SQLiteStore(path, search_budget=None)` while the store has a search budget; else None (no exact column)."""
    store_class = getattr(module, "SQLiteStore", None)
    if store_class is None or "search_budget" not in inspect.signature(store_class).parameters:
        return None
    return functools.partial(store_class, search_budget=None)


async def budget_agreement(ours: Any, exact: Any, questions: list[str]) -> str:
    """How much the default search budget changes the answer, against exact BM25 over every word."""
    shared = best_kept = 0.0
    for question in questions:
        budgeted = {str(r.content) for r in (await ours.query(question)).results}
        exactly = [str(r.content) for r in (await exact.query(question)).results]
        shared += len(budgeted & set(exactly)) / max(1, len(exactly))
        best_kept += not exactly or exactly[0] in budgeted
    return (
        f"  default vs exact BM25: {shared / len(questions):.0%} of the top {K} shared, "
        f"exact best result among them in {best_kept / len(questions):.0%} of queries"
    )


async def measure_size(
    memory_class: Any, exact_store: Callable[[Path], Any] | None, size: int, queries: int, workdir: Path
) -> None:
    from autogen_core.memory import ListMemory, MemoryContent, MemoryMimeType

    memories = sentences(size, random.Random(size), 8, 20)
    questions = sentences(queries, random.Random(-size), 8, 8)

    def content(text: str) -> MemoryContent:
        return MemoryContent(content=text, mime_type=MemoryMimeType.TEXT)

    path = workdir / f"memory-{size}.db"
    ours = memory_class(path=path, k=K)
    exact = memory_class(store=exact_store(path), k=K) if exact_store else None
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

    for question in questions[:WARM_UP]:  # warm the page cache and the interpreter alike for every contender
        await ours.query(question)
        if exact:
            await exact.query(question)
    query_times = {"ours (default)": await _timed([lambda q=q: ours.query(q) for q in questions])}
    agreement = ""
    if exact:
        query_times["ours, exact BM25 (search_budget=None)"] = await _timed(
            [lambda q=q: exact.query(q) for q in questions]
        )
        agreement = await budget_agreement(ours, exact, questions)
        await exact.close()
    query_times["ListMemory.query() (returns everything)"] = await _timed(
        [lambda q=q: listed.query(q) for q in questions]
    )

    async def scan(question: str) -> list[str]:
        return naive.query(question, K)

    scanned = questions[: max(20, queries // 10)]
    query_times["naive scan (every memory, every query)"] = await _timed([lambda q=q: scan(q) for q in scanned])
    await ours.close()

    ours_p50 = _p(query_times["ours (default)"], 50)
    print(f"\n{size:,} synthetic memories ({path.stat().st_size / 1e6:.1f} MB database)")
    print(f"  {'add':<44} {'per second':>12} {'vs ours':>9}")
    for label, rate in (
        ("ours: add(), one transaction each", add_rate),
        ("ours: add_many(), 1,000 per transaction", batch_rate),
        ("ListMemory.add() (a list append)", list_rate),
        ("naive scan: append", naive_rate),
    ):
        print(f"  {label:<44} {rate:>12,.0f} {rate / add_rate:>8.1f}x")
    print(f"  {'query (k=5)':<44} {'p50 ms':>8} {'p95 ms':>8} {'p50 / ours':>11}")
    for label, times in query_times.items():
        print(f"  {label:<44} {_p(times, 50):>8.2f} {_p(times, 95):>8.2f} {_p(times, 50) / ours_p50:>10.1f}x")
    if agreement:
        print(agreement)


def measure(memory_path: str, queries: int, sizes: list[int], corpus: str) -> None:
    module_name, _, class_name = memory_path.rpartition(".")
    module = importlib.import_module(module_name)
    memory_class = getattr(module, class_name)
    print(f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-memory-db-") as workdir:
        if corpus in ("real", "both"):
            paragraphs = botocore_paragraphs()
            if max(sizes) > len(paragraphs):
                raise SystemExit(f"the real-text corpus has {len(paragraphs):,} paragraphs, fewer than {max(sizes):,}")
            for size in sizes:
                asyncio.run(measure_real_text(memory_class, paragraphs[:size], queries, Path(workdir)))
        if corpus in ("synthetic", "both"):
            budget = getattr(module, "DEFAULT_SEARCH_BUDGET", None)
            print(
                f"\nSynthetic text, {queries} queries per size, k={K}" + (f", search budget {budget}" if budget else "")
            )
            exact_store = exact_store_factory(module)
            for size in sizes:
                asyncio.run(measure_size(memory_class, exact_store, size, queries, Path(workdir)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=DEFAULT_PYTHON, help="interpreter for the environment (uv -p)")
    parser.add_argument("--sizes", type=int, nargs="+", default=DEFAULT_SIZES, help="memories per run")
    parser.add_argument("--queries", type=int, default=300, help="queries timed per size and contender")
    parser.add_argument(
        "--corpus", choices=["real", "synthetic", "both"], default="both", help="which table(s): real text first"
    )
    parser.add_argument("--measure", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        memory_path, queries, *sizes = args.measure
        measure(memory_path, int(queries), [int(size) for size in sizes], args.corpus)
    else:
        sys.path.insert(0, str(REPO_ROOT))
        orchestrate(args.python, args.sizes, args.queries, args.corpus)


if __name__ == "__main__":
    main()
