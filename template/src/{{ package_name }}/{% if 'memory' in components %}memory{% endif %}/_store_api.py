"""The storage seam of the memory: what a store is given, what it returns, and the contract it keeps.

The layers above a store, none of which depends on where memories live:

- the framework-free core (`_memory_core.py`, `_records.py`) validates content into records, turns a query
  into plain search terms, applies `k` and the score threshold, and writes the text the model is shown;
- a front adapts it to one agent framework: for AutoGen, `_memory.py` (the `Memory` component, the model
  context, cancellation tokens) with `_autogen_records.py` (`MemoryContent` and chat messages); for Agent
  Framework, `agent_framework/` (a `ContextProvider`), where the package has it.

A store only keeps records and finds them; like the core, it imports no agent framework, so every front
shares it. The built-in store is SQLite with FTS5 (`_sqlite_store.py`); to keep memories in PostgreSQL,
Redis or a vector database, write a class with the four methods of `MemoryStore` and pass an instance as
`store=`, or replace `_sqlite_store.py`. The tests in `tests/memory/` that name no store run unchanged
against yours (see `tests/memory/conftest.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class MemoryRecord:
    """One memory as a store keeps it: plain text, its mime type and JSON-compatible metadata.

    Attributes:
        mime_type: `"text/plain"`, `"text/markdown"` or `"application/json"`.
        text: What is searched and returned: the text itself, or the JSON document as JSON text.
        metadata: A JSON object (str keys; str, number, bool, None, list or dict values). Never contains
            the key `"score"`, which the memory adds to query results.
    """

    mime_type: str
    text: str
    metadata: Mapping[str, Any] = field(default_factory=dict[str, Any])


@dataclass(frozen=True)
class ScoredRecord:
    """A record a search found, with its relevance: a positive number, higher is more relevant.

    Scores are comparable within one store, not across stores (BM25 in SQLite, `ts_rank` in PostgreSQL,
    a similarity in a vector database).
    """

    record: MemoryRecord
    score: float


@dataclass(frozen=True)
class SearchQuery:
    """What to look for.

    Attributes:
        text: The query as the caller wrote it, for stores that embed whole sentences (vector stores).
        terms: The query's words, lower-cased and de-duplicated, with every character of query syntax
            removed. Full-text stores match these as plain words and must never parse them as syntax.
            Never empty: the memory answers a query without words itself.
        limit: The most records to return.
        metadata_filter: Each key must be in a record's metadata with an equal JSON value.
    """

    text: str
    terms: tuple[str, ...]
    limit: int
    metadata_filter: Mapping[str, Any] = field(default_factory=dict[str, Any])


class MemoryStore(Protocol):
    """Keeps memory records and finds them by their words. Implement this to store memories elsewhere.

    The contract, which the memory and the package's vendor-neutral tests rely on:

    1. `add(records)` stores every record or none (one transaction). Once it returns, `search` from this
       and from any other store on the same data finds them.
    2. `search(query)` returns at most `query.limit` records that contain at least one of `query.terms`
       and match every entry of `query.metadata_filter`, best first, each with a score above zero, and each
       record's `mime_type`, `text` and `metadata` exactly as added.
    3. `clear()` removes every record at once.
    4. `close()` releases connections and threads; the memory never calls the store after it.
    5. Nothing blocks the event loop: a blocking driver runs in a worker thread.
    6. When the task awaiting a call is cancelled, the store stops the work; the data is then as it was before
       the call or as after it, never in between.
    7. Calls may come concurrently from several tasks, and several stores (in one process or many) may
       share the same data.
    """

    async def add(self, records: Sequence[MemoryRecord]) -> None:
        """Store `records`, all or none."""
        ...

    async def search(self, query: SearchQuery) -> list[ScoredRecord]:
        """The best records for `query`, best first."""
        ...

    async def clear(self) -> None:
        """Remove every record."""
        ...

    async def close(self) -> None:
        """Release what the store holds."""
        ...
