"""The built-in store: SQLite with its FTS5 full-text index, from Python's standard library. No server, no network.

`create_store()` returns the store the memory uses when none is passed in. To keep memories somewhere else,
replace this module (keep a `create_store()` that returns a `MemoryStore`) or pass a store to the memory as
`store=`; `_store_api.py` states the contract either way.

How this store keeps it:

- **Off the event loop.** Every SQLite call, opening the file included, runs on one worker thread per store,
  which owns the connection. Calls from many tasks queue there, so one store is safe for concurrent writers;
  several stores (and processes) on one file take SQLite's write lock in turn, waiting up to `lock_timeout`.
- **Crash-safe.** The file is in WAL mode and every write is one transaction, so a process killed mid-write
  leaves the database as it was before that write. (`synchronous=NORMAL`: a power cut may lose the last
  transactions, never the database.)
- **Cancellation.** A cancelled call stops at SQLite's next progress check (every few thousand steps of its
  virtual machine) and rolls back; a call still queued never starts.
- **Ranking.** BM25 over the words of each memory, stemmed (`porter`), case- and accent-insensitive, with the
  constants and formula of FTS5's `bm25()`. The score of a result is its BM25 value, positive, higher is better.
- **Fast on large stores, measured against exact BM25.** FTS5 ranks by scoring every memory that shares a word
  with the query, about a microsecond each, and a common word is in most of them: 50 ms a query at 100,000
  memories. So, unless `search_budget` is `None`, a query works in three cheap steps instead:
  1. *Count* each word's memories, exactly up to `search_budget`; a commoner word's count is estimated from
     where its next match falls (memories are numbered in the order they were added). Words in half the
     memories or more weigh nothing in BM25 and are set aside.
  2. *Gather candidates*: the memories (the first `max(50, 5 * limit)` in the order they were added) that
     contain every remaining word, which is where a memory the user half-remembers is; if fewer than `limit`
     do, also the best of those that contain the rarest words (ranked by FTS5 over those words, whose matches
     fit in the budget).
  3. *Score* each candidate with BM25 over every word of the query, the commoner ones included (re-reading
     the candidate's words in a scratch index in memory), and return the best.
  An approximation of BM25, measured: on real text it ranks the right memory first at least as often as
  exact BM25, in about 2 ms at 100,000 memories (the template's documentation of the memory has the
  benchmark). With `search_budget=None` a query is FTS5's exact BM25 over every match, whatever it costs.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from ._store_api import MemoryRecord, MemoryStore, ScoredRecord, SearchQuery

DEFAULT_LOCK_TIMEOUT = 5.0
"""Seconds a write waits for another connection's write lock before `TimeoutError`."""
DEFAULT_SEARCH_BUDGET = 250
"""Memories counted per word of a query; commoner words' counts are estimated (see the module docstring)."""
SCHEMA_VERSION = 1
"""Stored in the file as `PRAGMA user_version`; a newer file is refused instead of misread."""
TOKENIZER = "porter unicode61 remove_diacritics 2"
_PROGRESS_STEPS = 1000  # SQLite virtual-machine steps between two checks for cancellation
# FTS5's bm25() constants and its floor for the weight of a word in half the memories or more, so a candidate's
# score is the one FTS5 would give it.
_K1 = 1.2
_B = 0.75
_MIN_IDF = 1e-6
# The candidate pool: this many per result asked for, and never fewer than the minimum.
_MIN_CANDIDATES = 50
_CANDIDATES_PER_RESULT = 5

T = TypeVar("T")
Job = Callable[[sqlite3.Connection, threading.Event], T]

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS memories (
        id INTEGER PRIMARY KEY,
        mime_type TEXT NOT NULL,
        content TEXT NOT NULL,
        metadata TEXT NOT NULL
    )""",
    # One row per metadata key, value as canonical JSON: filters are index lookups, with no JSON1 needed.
    """CREATE TABLE IF NOT EXISTS memory_metadata (
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        memory_id INTEGER NOT NULL,
        PRIMARY KEY (key, value, memory_id)
    ) WITHOUT ROWID""",
    # An external-content index: the words of memories.content, stored once.
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS memory_index USING fts5(
        content, content='memories', content_rowid='id', tokenize='{TOKENIZER}'
    )""",
    f"PRAGMA user_version = {SCHEMA_VERSION}",
)
# Per connection, in memory: where a query's words and its candidates are split into index words, exactly as
# memory_index does it. Rows written there during a search are rolled back with the search's transaction.
_SCRATCH = (
    f"CREATE VIRTUAL TABLE temp.query_words USING fts5(content, content='', tokenize='{TOKENIZER}')",
    "CREATE VIRTUAL TABLE temp.query_word_terms USING fts5vocab(temp, query_words, instance)",
    f"CREATE VIRTUAL TABLE temp.candidates USING fts5(content, content='', tokenize='{TOKENIZER}')",
    "CREATE VIRTUAL TABLE temp.candidate_terms USING fts5vocab(temp, candidates, instance)",
)


class FTS5UnavailableError(RuntimeError):
    """This Python's `sqlite3` module was built without SQLite's FTS5 full-text index."""


class _Abandoned(Exception):
    """A write whose caller was cancelled before it committed: it is rolled back."""


def create_store(path: str | None) -> MemoryStore:
    """The store the memory uses when none is passed in: change this (or this whole module) to store elsewhere."""
    return SQLiteStore(path)


class SQLiteStore:
    """Memories in an SQLite database file (or in memory), found through an FTS5 full-text index.

    Creating a store opens nothing: the file is created (with its parent directories) and opened by the first
    call, on the store's worker thread.

    Args:
        path: The database file. `None`: a private in-memory database, gone when the store closes.
        lock_timeout: Seconds a write waits while another connection writes, then `TimeoutError`.
        search_budget: Memories a query counts per word, exactly; commoner words' counts are estimated, and
            candidates are gathered as the module docstring says. `None`: FTS5's exact BM25 over every
            memory that shares a word with the query, however many that is.
        connect: Opens the connection (called on the worker thread like `sqlite3.connect`); pass your own to
            add SQLite extensions, or to observe the connection in tests.

    Example:
        ```python
        store = SQLiteStore("memories.db", search_budget=None)  # FTS5's exact BM25, every match ranked
        # then pass it to the memory: store=store
        ```
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        search_budget: int | None = DEFAULT_SEARCH_BUDGET,
        connect: Callable[..., sqlite3.Connection] = sqlite3.connect,
    ) -> None:
        if not lock_timeout > 0:
            raise ValueError(f"lock_timeout must be a positive number of seconds, got {lock_timeout}")
        if search_budget is not None and search_budget < 1:
            raise ValueError(f"search_budget must be at least 1 (or None for no limit), got {search_budget}")
        self._path = None if path is None else os.fspath(path)
        self._lock_timeout = lock_timeout
        self._search_budget = search_budget
        self._connect = connect
        self._executor: ThreadPoolExecutor | None = None
        self._connection: sqlite3.Connection | None = None  # touched only on the worker thread
        self._running: threading.Event | None = None  # the cancellation flag of the job running now

    @property
    def path(self) -> str | None:
        """The database file, or `None` for an in-memory database."""
        return self._path

    async def add(self, records: Sequence[MemoryRecord]) -> None:
        await self._call(functools.partial(self._insert, list(records)))

    async def search(self, query: SearchQuery) -> list[ScoredRecord]:
        return await self._call(functools.partial(self._search, query))

    async def clear(self) -> None:
        await self._call(self._delete_all)

    async def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is None:
            return
        try:
            await asyncio.get_running_loop().run_in_executor(executor, self._disconnect)
        finally:
            executor.shutdown(wait=False)

    # ---- running jobs on the worker thread ----

    async def _call(self, job: Job[T]) -> T:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-memory")
        cancelled = threading.Event()
        future = asyncio.get_running_loop().run_in_executor(self._executor, self._run, job, cancelled)
        try:
            return await future
        except asyncio.CancelledError:
            # A queued job is dropped with the future; a running one sees the flag at its next progress check
            # (or before it commits) and rolls back.
            cancelled.set()
            raise

    def _run(self, job: Job[T], cancelled: threading.Event) -> T:
        connection = self._connection if self._connection is not None else self._open()
        self._running = cancelled
        try:
            return job(connection, cancelled)
        finally:
            self._running = None

    def _progress(self) -> int:
        running = self._running
        return 1 if running is not None and running.is_set() else 0  # non-zero makes SQLite stop the statement

    def _open(self) -> sqlite3.Connection:
        if self._path is not None:
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        where = self._path if self._path is not None else ":memory:"
        connection = self._connect(where, timeout=self._lock_timeout, isolation_level=None)
        try:
            _require_fts5(connection)
            if self._path is not None:
                _use_wal(connection, self._lock_timeout)
            connection.execute("PRAGMA synchronous = NORMAL")
            _create_schema(connection, where)
            for statement in _SCRATCH:
                connection.execute(statement)
        except sqlite3.DatabaseError as exc:
            connection.close()
            raise sqlite3.DatabaseError(f"cannot open the memory database {where}: {exc}") from exc
        except BaseException:
            connection.close()
            raise
        connection.set_progress_handler(self._progress, _PROGRESS_STEPS)
        self._connection = connection
        return connection

    def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    # ---- the jobs ----

    def _insert(self, records: list[MemoryRecord], connection: sqlite3.Connection, cancelled: threading.Event) -> None:
        if not records:
            return
        with self._write_transaction(connection, cancelled):
            first: int = connection.execute("SELECT coalesce(max(id), 0) + 1 FROM memories").fetchone()[0]
            rows = list(enumerate(records, start=first))
            connection.executemany(
                "INSERT INTO memories (id, mime_type, content, metadata) VALUES (?, ?, ?, ?)",
                [(i, r.mime_type, r.text, json.dumps(r.metadata, ensure_ascii=False)) for i, r in rows],
            )
            connection.executemany(
                "INSERT INTO memory_index (rowid, content) VALUES (?, ?)", [(i, r.text) for i, r in rows]
            )
            connection.executemany(
                "INSERT INTO memory_metadata (key, value, memory_id) VALUES (?, ?, ?)",
                [(key, _canonical(value), i) for i, r in rows for key, value in r.metadata.items()],
            )

    def _search(
        self, query: SearchQuery, connection: sqlite3.Connection, cancelled: threading.Event
    ) -> list[ScoredRecord]:
        # One read transaction: every statement below sees the same memories, and the scratch rows it writes
        # (temp tables only: no write lock on the file) are rolled back with it.
        connection.execute("BEGIN")
        try:
            if self._search_budget is None:
                return _exact_search(connection, query)
            return _budgeted_search(connection, query, self._search_budget)
        finally:
            if connection.in_transaction:  # SQLite already rolled back after an interrupted statement
                connection.execute("ROLLBACK")

    def _delete_all(self, connection: sqlite3.Connection, cancelled: threading.Event) -> None:
        with self._write_transaction(connection, cancelled):
            connection.execute("DELETE FROM memory_metadata")
            connection.execute("DELETE FROM memories")
            connection.execute("INSERT INTO memory_index (memory_index) VALUES ('delete-all')")

    @contextlib.contextmanager
    def _write_transaction(
        self, connection: sqlite3.Connection, cancelled: threading.Event
    ) -> Generator[None, None, None]:
        try:
            connection.execute("BEGIN IMMEDIATE")  # take the write lock now: no deadlock between two writers
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc):
                raise TimeoutError(
                    f"the memory database {self._path} stayed locked by another writer for {self._lock_timeout} s"
                ) from exc
            raise
        try:
            yield
            if cancelled.is_set():
                raise _Abandoned  # the caller was cancelled and waits no more: keep nothing of this write
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:  # SQLite already rolled back after an interrupted statement
                connection.execute("ROLLBACK")
            raise


def _require_fts5(connection: sqlite3.Connection) -> None:
    try:
        connection.execute("CREATE VIRTUAL TABLE temp.fts5_probe USING fts5(probe)")
    except sqlite3.OperationalError as exc:
        if "fts5" not in str(exc):
            raise
        raise FTS5UnavailableError(
            f"SQLite full-text search (FTS5) is not available in this Python's sqlite3 module "
            f"(SQLite {sqlite3.sqlite_version}): use a Python built with FTS5 (python.org, Homebrew, conda and "
            f"most Linux distributions' builds have it), or pass another store to the memory as store="
        ) from exc
    connection.execute("DROP TABLE temp.fts5_probe")


def _use_wal(connection: sqlite3.Connection, timeout: float) -> None:
    # Switching a new file to WAL does not wait for the busy timeout when another connection is doing the same
    # (two stores opening one new file at once): retry for as long as a write would wait.
    deadline = time.monotonic() + timeout
    while True:
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _create_schema(connection: sqlite3.Connection, where: str) -> None:
    version: int = connection.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise RuntimeError(
            f"the memory database {where} has schema version {version}, newer than this package's "
            f"({SCHEMA_VERSION}): upgrade the package to read it"
        )
    connection.execute("BEGIN IMMEDIATE")
    try:
        for statement in _SCHEMA:  # IF NOT EXISTS: another process may have created it meanwhile
            connection.execute(statement)
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise


def _exact_search(connection: sqlite3.Connection, query: SearchQuery) -> list[ScoredRecord]:
    """FTS5's own ranking: BM25 over every memory that shares a word with the query."""
    match = " OR ".join(_fts5_string(term) for term in query.terms)
    sql, parameters = _matching_ids(match, query.metadata_filter, ranked=True)
    rows = connection.execute(sql, [*parameters, query.limit]).fetchall()
    return _records(connection, [(memory_id, -rank) for memory_id, rank in rows])  # FTS5's bm25 is negative


def _budgeted_search(connection: sqlite3.Connection, query: SearchQuery, budget: int) -> list[ScoredRecord]:
    """Count, gather candidates, score them with every word: the three steps of the module docstring."""
    averages, newest = connection.execute(
        "SELECT (SELECT block FROM memory_index_data WHERE id = 1), (SELECT max(id) FROM memories)"
    ).fetchone()
    if averages is None or newest is None:
        return []
    memories, tokens = _varints(averages)[:2]  # FTS5's record of the row count and the total number of words
    if memories == 0:
        return []
    weights = _word_weights(connection, query.terms, budget, memories, newest)
    if not weights:
        return []
    candidates = _candidates(connection, query, weights, budget)
    if not candidates:
        return []
    scores = _bm25(connection, candidates, weights, tokens / memories)
    best = sorted(scores.items(), key=lambda item: (-item[1], -item[0]))[: query.limit]
    return _records(connection, best)


def _word_weights(
    connection: sqlite3.Connection, words: Sequence[str], budget: int, memories: int, newest: int
) -> dict[str, tuple[float, float]]:
    """`{word: (memories containing it, BM25 weight)}` for the words found, counted up to `budget` each.

    A commoner word's count is estimated: its `budget + 1` first matches end at memory number `last` of
    `newest`, so about `(budget + 1) * newest / last` memories contain it.
    """
    counting = " UNION ALL ".join(
        "SELECT ?, count(*), max(rowid) FROM (SELECT rowid FROM memory_index WHERE memory_index MATCH ? LIMIT ?)"
        for _ in words
    )
    parameters = [value for number, word in enumerate(words) for value in (number, _fts5_string(word), budget + 1)]
    weights: dict[str, tuple[float, float]] = {}
    for number, found, last in connection.execute(counting, parameters):
        if not found:
            continue
        count = float(found) if found <= budget else min(float(memories), found * newest / last)
        idf = math.log((memories - count + 0.5) / (count + 0.5))
        weights[words[int(number)]] = (count, idf if idf > 0 else _MIN_IDF)
    return weights


def _candidates(
    connection: sqlite3.Connection, query: SearchQuery, weights: dict[str, tuple[float, float]], budget: int
) -> list[int]:
    """The memories worth scoring: those with every telling word, then the best by the rarest words."""
    pool = max(_MIN_CANDIDATES, _CANDIDATES_PER_RESULT * query.limit)
    telling = [word for word, (_, idf) in weights.items() if idf > _MIN_IDF] or list(weights)
    every = " AND ".join(_fts5_string(word) for word in telling)
    sql, parameters = _matching_ids(every, query.metadata_filter, ranked=False)
    found = [memory_id for memory_id, _ in connection.execute(sql, [*parameters, pool])]
    if len(found) >= query.limit:
        return found
    rarest: list[str] = []
    counted = 0.0
    for word in sorted(weights, key=lambda word: weights[word][0]):
        if rarest and counted + weights[word][0] > budget:
            break
        rarest.append(word)
        counted += weights[word][0]
    some = " OR ".join(_fts5_string(word) for word in rarest)
    sql, parameters = _matching_ids(some, query.metadata_filter, ranked=True)
    return list(dict.fromkeys([*found, *(memory_id for memory_id, _ in connection.execute(sql, [*parameters, pool]))]))


def _bm25(
    connection: sqlite3.Connection, candidates: list[int], weights: dict[str, tuple[float, float]], average: float
) -> dict[int, float]:
    """Each candidate's BM25 over every word of the query, as FTS5's `bm25()` computes it."""
    words = list(weights)
    connection.executemany("INSERT INTO temp.query_words (rowid, content) VALUES (?, ?)", enumerate(words, start=1))
    term_weights: dict[str, float] = {}
    for word_number, term in connection.execute("SELECT doc, term FROM temp.query_word_terms"):
        # A word is one phrase in FTS5's query, however it is split: each of its terms carries its weight.
        term_weights[term] = term_weights.get(term, 0.0) + weights[words[word_number - 1]][1]
    marks = ", ".join("?" * len(candidates))
    connection.execute(
        f"INSERT INTO temp.candidates (rowid, content) SELECT id, content FROM memories WHERE id IN ({marks})",
        candidates,
    )
    lengths = {
        memory_id: _varints(size)[0]
        for memory_id, size in connection.execute("SELECT id, sz FROM temp.candidates_docsize")
    }
    scores = dict.fromkeys(candidates, 0.0)
    terms = list(term_weights)
    rows = connection.execute(
        f"SELECT term, doc, count(*) FROM temp.candidate_terms WHERE term IN ({', '.join('?' * len(terms))}) "
        "GROUP BY term, doc",
        terms,
    )
    for term, memory_id, frequency in rows:
        norm = _K1 * (1 - _B + _B * lengths[memory_id] / average)
        scores[memory_id] += term_weights[term] * frequency * (_K1 + 1) / (frequency + norm)
    return {memory_id: score for memory_id, score in scores.items() if score > 0}


def _matching_ids(match: str, metadata_filter: Mapping[str, Any], *, ranked: bool) -> tuple[str, list[Any]]:
    """SQL for `(id, rank)` of the memories matching the FTS5 expression and the filter, `LIMIT ?`: best first
    if `ranked`, else in the order they were added with no rank (FTS5 ranks only when asked, and ranking
    costs; and it reads a doclist backwards only by loading all of it, so not newest first either)."""
    rank = "memory_index.rank" if ranked else "NULL"
    sql = [f"SELECT memory_index.rowid, {rank} FROM memory_index"]
    if metadata_filter:  # the filter reads memories' ids: joined only when needed
        sql.append("JOIN memories AS m ON m.id = memory_index.rowid")
    sql.append("WHERE memory_index MATCH ?")
    parameters: list[Any] = [match]
    for key, value in metadata_filter.items():
        sql.append("AND m.id IN (SELECT memory_id FROM memory_metadata WHERE key = ? AND value = ?)")
        parameters += [key, _canonical(value)]
    sql.append(f"ORDER BY {'memory_index.rank' if ranked else 'memory_index.rowid'} LIMIT ?")
    return "\n".join(sql), parameters


def _records(connection: sqlite3.Connection, scored: Sequence[tuple[int, float]]) -> list[ScoredRecord]:
    """The records of `(id, score)` pairs, in that order."""
    if not scored:
        return []
    marks = ", ".join("?" * len(scored))
    rows = connection.execute(
        f"SELECT id, mime_type, content, metadata FROM memories WHERE id IN ({marks})", [i for i, _ in scored]
    )
    records = {
        memory_id: MemoryRecord(mime_type, text, json.loads(metadata)) for memory_id, mime_type, text, metadata in rows
    }
    return [ScoredRecord(records[memory_id], score=score) for memory_id, score in scored]


def _varints(data: bytes) -> list[int]:
    """The unsigned integers in SQLite's variable-length encoding (7 bits a byte, high bit: more follow)."""
    values: list[int] = []
    value = 0
    for byte in data:
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            values.append(value)
            value = 0
    return values


def _fts5_string(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _canonical(value: Any) -> str:
    """One JSON text per value, so equal values compare equal as strings (1 and 1.0, True and 1 stay apart)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
