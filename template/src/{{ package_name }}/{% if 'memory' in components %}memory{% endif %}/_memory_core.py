"""What every front of the memory does the same way, whichever agent framework it serves.

A front (`_memory.py`: AutoGen's `Memory`; `agent_framework/`: Agent Framework's `ContextProvider`) converts
its framework's types and links its cancellation; it delegates the rest here: opening the store the config
names, refusing work once closed, checking a query's options, searching with `k` and the score threshold, and
storing a turn's messages. Nothing here imports an agent framework.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Protocol, TypedDict

from typing_extensions import Self

from ._records import metadata_filter, search_terms, turn_record
from ._sqlite_store import create_store
from ._store_api import MemoryRecord, MemoryStore, ScoredRecord, SearchQuery

QUERY_OPTIONS = ("k", "score_threshold", "metadata_filter")
"""The options a query takes besides its text; each defaults to the config's value (no filter for the last)."""


class QueryOptions(TypedDict, total=False):
    """`QUERY_OPTIONS` with their types, for a front's typed `**options`."""

    k: int
    score_threshold: float | None
    metadata_filter: Mapping[str, Any]


class MemorySettings(Protocol):
    """The settings the core reads: the memory's config (`_config.py`) has them."""

    @property
    def path(self) -> str | None: ...
    @property
    def k(self) -> int: ...
    @property
    def score_threshold(self) -> float | None: ...
    @property
    def max_content_bytes(self) -> int: ...
    @property
    def store_turns(self) -> bool: ...


def search_query(text: str, *, limit: int, metadata_filter: Mapping[str, Any]) -> SearchQuery | None:
    """What to ask the store for `text`, or `None` when `text` has no words (nothing can match it)."""
    terms = search_terms(text)
    if not terms:
        return None
    return SearchQuery(text=text, terms=terms, limit=limit, metadata_filter=metadata_filter)


class MemoryCore:
    """One memory's store, from opening to closing, for a front to delegate to.

    Args:
        settings: The memory's config; read, never changed.
        store: The store to use instead of the built-in one at `settings.path`. Closed by `close()`.
        owner: The front's class name, for error messages.

    Raises:
        ValueError: both `settings.path` and `store` are given.
    """

    def __init__(self, settings: MemorySettings, *, store: MemoryStore | None, owner: str) -> None:
        if store is not None and settings.path is not None:
            raise ValueError("give path (for the built-in SQLite store) or store, not both")
        self._settings = settings
        self._owner = owner
        self._store = store if store is not None else create_store(settings.path)
        self.store_passed_in = store is not None
        """Whether the store came from the caller: it is then missing from the dumped config."""
        self._closed = False

    def check_open(self) -> None:
        """Raise `RuntimeError` once the memory is closed: its store is gone."""
        if self._closed:
            raise RuntimeError(f"{self._owner} is closed")

    def query_options(self, options: Mapping[str, Any]) -> tuple[int, float | None, dict[str, Any]]:
        """`k`, the score threshold and a checked copy of the metadata filter for one query.

        Raises:
            TypeError: an option not in `QUERY_OPTIONS`.
            ValueError: an option of the wrong type or range.
        """
        unknown = sorted(set(options) - set(QUERY_OPTIONS))
        if unknown:
            raise TypeError(f"query() got unknown keyword arguments {unknown}; it takes {', '.join(QUERY_OPTIONS)}")
        k = options.get("k", self._settings.k)
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a positive int, got {k!r}")
        score_threshold = options.get("score_threshold", self._settings.score_threshold)
        if isinstance(score_threshold, bool) or not isinstance(score_threshold, int | float | None):
            raise ValueError(f"score_threshold must be a number or None, got {score_threshold!r}")
        return k, score_threshold, metadata_filter(options.get("metadata_filter", {}))

    async def add(self, records: Sequence[MemoryRecord]) -> None:
        """Store `records`, all or none."""
        await self._store.add(records)

    async def search(self, query: SearchQuery, score_threshold: float | None) -> list[ScoredRecord]:
        """The store's best records for `query`, best first, without those scoring below `score_threshold`."""
        hits = await self._store.search(query)
        return [hit for hit in hits if score_threshold is None or hit.score >= score_threshold]

    async def remember_turn(self, messages: Sequence[tuple[str, str]]) -> None:
        """Store a turn's `(role, text)` messages in one transaction if `store_turns` is set (see `turn_record`)."""
        if not self._settings.store_turns:
            return
        self.check_open()
        max_bytes = self._settings.max_content_bytes
        records = [record for role, text in messages if (record := turn_record(role, text, max_bytes=max_bytes))]
        if records:
            await self._store.add(records)

    def warn_if_store_left_out(self, logger: logging.Logger) -> None:
        """Log that a dumped config lacks the store passed in, so a memory loaded from it uses the built-in one."""
        if self.store_passed_in:
            logger.warning(
                "%s: the store passed in is not part of the dumped config; a memory loaded from it uses the "
                "built-in SQLite store at path=%r",
                self._owner,
                self._settings.path,
            )

    async def clear(self) -> None:
        """Remove every memory."""
        self.check_open()
        await self._store.clear()

    async def close(self) -> None:
        """Close the store; calling it again does nothing."""
        if not self._closed:
            self._closed = True
            await self._store.close()


class MemoryLifecycle:
    """`clear()`, `close()` and `async with` for a front, which keeps its `MemoryCore` in `self._core`."""

    _core: MemoryCore

    async def clear(self) -> None:
        """Remove every memory."""
        await self._core.clear()

    async def close(self) -> None:
        """Close the database (or the store passed in); calling it again does nothing."""
        await self._core.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
