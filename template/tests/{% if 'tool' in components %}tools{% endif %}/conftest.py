"""Fixtures shared by the search tool's tests. Framework-free: `tests/test_framework_free.py` loads it with
every agent framework blocked."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.tools.search_server import SearchService


@pytest_asyncio.fixture
async def service() -> AsyncIterator[tuple[SearchService, str]]:
    """A running fake search service, and its base URL."""
    service = SearchService()
    async with service.server() as server:
        yield service, server.url
