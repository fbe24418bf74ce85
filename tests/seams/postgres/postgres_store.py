"""A second `MemoryStore` for the generated memory: PostgreSQL full-text search (`tsvector`, `ts_rank`).

It proves the memory's storage seam. `tests/test_memory_postgres.py` runs a generated package's
vendor-neutral memory tests against it, unchanged, by naming `make_store` in `MEMORY_TEST_STORE`; the
tests then build every memory as `Memory(store=make_store(location))`. It imports only the package's public
seam types and psycopg 3 (installed into the test environment, never a dependency of the package).

What it keeps of the contract in `_store_api.py`, and how:

- one row per record; `document` is a generated `tsvector` (the `english` configuration: stemmed, without
  stop words) with a GIN index, so a record is searchable the moment its transaction commits;
- `add` inserts a batch in one transaction; `clear` deletes every row in one statement;
- `search` ORs `plainto_tsquery` of each plain word (bound as parameters: a word is never syntax), keeps the
  rows matching every metadata filter (`metadata -> key = value`, jsonb equality), and ranks by `ts_rank`;
- one connection per store, used by one task at a time (an `asyncio.Lock`); psycopg's async API keeps the
  event loop free, and a cancelled call rolls its transaction back.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psycopg
from autogen_example.memory import MemoryRecord, ScoredRecord, SearchQuery
from psycopg import sql
from psycopg.types.json import Jsonb

DSN_VARIABLE = "MEMORY_POSTGRES_DSN"
TEXT_SEARCH_CONFIG = "english"


def make_store(location: Path) -> PostgresStore:
    """The factory `MEMORY_TEST_STORE` names: one table per location, so the same location is the same data."""
    table = "memories_" + hashlib.sha256(str(location).encode()).hexdigest()[:16]
    return PostgresStore(os.environ[DSN_VARIABLE], table=table)


class PostgresStore:
    def __init__(self, dsn: str, *, table: str) -> None:
        self._dsn = dsn
        self._table = table
        self._connection: psycopg.AsyncConnection[Any] | None = None
        self._lock = asyncio.Lock()

    async def add(self, records: Sequence[MemoryRecord]) -> None:
        rows = [(r.mime_type, r.text, Jsonb(dict(r.metadata))) for r in records]
        insert = sql.SQL("INSERT INTO {} (mime_type, content, metadata) VALUES (%s, %s, %s)")
        async with self._lock:
            connection = await self._connect()
            async with connection.transaction(), connection.cursor() as cursor:
                await cursor.executemany(insert.format(sql.Identifier(self._table)), rows)

    async def search(self, query: SearchQuery) -> list[ScoredRecord]:
        words = sql.SQL(" || ").join(
            sql.SQL("plainto_tsquery({}, %s)").format(sql.Literal(TEXT_SEARCH_CONFIG)) for _ in query.terms
        )
        filters = [sql.SQL("AND metadata -> %s = %s") for _ in query.metadata_filter]
        statement = sql.SQL(
            "SELECT mime_type, content, metadata, ts_rank(document, query.q) AS score "
            "FROM {table}, (SELECT {words} AS q) AS query "
            "WHERE document @@ query.q {filters} "
            "ORDER BY score DESC, id LIMIT %s"
        ).format(table=sql.Identifier(self._table), words=words, filters=sql.SQL(" ").join(filters))
        parameters: list[Any] = list(query.terms)
        for key, value in query.metadata_filter.items():
            parameters += [key, Jsonb(value)]
        parameters.append(query.limit)
        async with self._lock:
            connection = await self._connect()
            cursor = await connection.execute(statement, parameters)
            rows = await cursor.fetchall()
        return [
            ScoredRecord(MemoryRecord(mime_type=mime_type, text=text, metadata=metadata), score=float(score))
            for mime_type, text, metadata, score in rows
        ]

    async def clear(self) -> None:
        async with self._lock:
            connection = await self._connect()
            await connection.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(self._table)))

    async def close(self) -> None:
        async with self._lock:
            if self._connection is not None:
                await self._connection.close()
                self._connection = None

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        if self._connection is not None:
            return self._connection
        connection = await psycopg.AsyncConnection.connect(self._dsn, autocommit=True)
        table = sql.Identifier(self._table)
        async with connection.transaction():
            # Two stores on one new table may open at once: create it under a lock named after the table.
            await connection.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [self._table])
            await connection.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} ("
                    " id bigserial PRIMARY KEY,"
                    " mime_type text NOT NULL,"
                    " content text NOT NULL,"
                    " metadata jsonb NOT NULL,"
                    " document tsvector GENERATED ALWAYS AS (to_tsvector({}, content)) STORED)"
                ).format(table, sql.Literal(TEXT_SEARCH_CONFIG))
            )
            await connection.execute(
                sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING gin (document)").format(
                    sql.Identifier(self._table + "_document"), table
                )
            )
        self._connection = connection
        return connection
