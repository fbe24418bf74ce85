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
- **Ranking.** BM25 over the words of each memory, stemmed (`porter`), case- and accent-insensitive. The score
  of a result is its BM25 value, positive, higher is better.
- **Bounded queries.** Ranking costs about a microsecond per matching entry, and a common word can match most
  of a large database. Unless `search_budget` is `None`, a query counts each word's matches (cheaply, up to
  the budget), then ranks with its rarest words whose matches fit in the budget together, dropping the
  commoner ones, which weigh least in BM25 anyway. When every word is over the budget, the rarest alone is
  used. So a query stays fast at any size; with `search_budget=None` it is exact BM25 over every word.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from ._store_api import MemoryRecord, MemoryStore, ScoredRecord, SearchQuery

DEFAULT_LOCK_TIMEOUT = 5.0
"""Seconds a write waits for another connection's write lock before `TimeoutError`."""
DEFAULT_SEARCH_BUDGET = 2000
"""Matching index entries a query ranks at most, unless all its words are commoner (see the module docstring)."""
SCHEMA_VERSION = 1
"""Stored in the file as `PRAGMA user_version`; a newer file is refused instead of misread."""
TOKENIZER = "porter unicode61 remove_diacritics 2"
_PROGRESS_STEPS = 1000  # SQLite virtual-machine steps between two checks for cancellation

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
        search_budget: Matching index entries a query ranks at most (see the module docstring); `None` ranks
            every word of every query exactly, however many memories match it.
        connect: Opens the connection (called on the worker thread like `sqlite3.connect`); pass your own to
            add SQLite extensions, or to observe the connection in tests.

    Example:
        ```python
        store = SQLiteStore("memories.db", search_budget=None)  # exact BM25 for every query
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
        terms = self._affordable_terms(connection, query.terms)
        if not terms:
            return []
        # Each word as an FTS5 string: whatever it contains is a word to find, never query syntax.
        sql = [
            "SELECT m.mime_type, m.content, m.metadata, memory_index.rank",
            "FROM memory_index JOIN memories AS m ON m.id = memory_index.rowid",
            "WHERE memory_index MATCH ?",
        ]
        parameters: list[Any] = [" OR ".join(_fts5_string(term) for term in terms)]
        for key, value in query.metadata_filter.items():
            sql.append("AND m.id IN (SELECT memory_id FROM memory_metadata WHERE key = ? AND value = ?)")
            parameters += [key, _canonical(value)]
        sql.append("ORDER BY memory_index.rank LIMIT ?")
        rows = connection.execute("\n".join(sql), [*parameters, query.limit]).fetchall()
        return [
            ScoredRecord(MemoryRecord(mime_type, text, json.loads(metadata)), score=-rank)  # FTS5's bm25 is negative
            for mime_type, text, metadata, rank in rows
        ]

    def _delete_all(self, connection: sqlite3.Connection, cancelled: threading.Event) -> None:
        with self._write_transaction(connection, cancelled):
            connection.execute("DELETE FROM memory_metadata")
            connection.execute("DELETE FROM memories")
            connection.execute("INSERT INTO memory_index (memory_index) VALUES ('delete-all')")

    def _affordable_terms(self, connection: sqlite3.Connection, terms: Sequence[str]) -> tuple[str, ...]:
        """The words to rank with: all of them, or the rarest ones whose matches fit in the search budget."""
        budget = self._search_budget
        if budget is None:
            return tuple(terms)
        counted = sorted((_matches(connection, term, budget + 1), term) for term in terms)
        counted = [(count, term) for count, term in counted if count > 0]
        if not counted:
            return ()
        if counted[0][0] > budget:  # every word is common: rank with the least common one alone
            return (min((term for _, term in counted), key=lambda term: _matches(connection, term, -1)),)
        kept: list[str] = []
        total = 0
        for count, term in counted:
            if total + count > budget:
                break
            kept.append(term)
            total += count
        return tuple(kept)

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


def _matches(connection: sqlite3.Connection, term: str, limit: int) -> int:
    """How many memories contain `term`, counting at most `limit` (-1: all). Cheap: no ranking."""
    row = connection.execute(
        "SELECT count(*) FROM (SELECT 1 FROM memory_index WHERE memory_index MATCH ? LIMIT ?)",
        (_fts5_string(term), limit),
    ).fetchone()
    count: int = row[0]
    return count


def _fts5_string(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _canonical(value: Any) -> str:
    """One JSON text per value, so equal values compare equal as strings (1 and 1.0, True and 1 stay apart)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
