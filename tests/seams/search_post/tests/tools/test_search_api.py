"""The search service's wire format itself (`_search_api.py`): a JSON POST with `X-API-Key`.

Vendor-specific, like the module it tests: it replaces the generated version when the wire format is swapped.
Framework-free too: `tests/test_framework_free.py` runs it with every agent framework blocked.
"""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr

from autogen_example.tools import ExampleSearchToolConfig, SearchAPIError, SearchArgs, SearchHit
from autogen_example.tools._search_api import build_call, error_message, parse_hits
from autogen_example.tools._search_core import search

from tests.tools.search_server import SearchService

pytestmark = pytest.mark.framework_free


def test_a_search_is_a_json_post_with_the_key_in_a_header() -> None:
    call = build_call(base_url="https://search.example.com/", api_key="k", query="autogen", max_results=3)
    assert (call.method, call.url, call.json) == (
        "POST",
        "https://search.example.com/search",
        {"q": "autogen", "num": 3},
    )
    assert call.headers == {"Accept": "application/json", "X-API-Key": "k"}
    assert "X-API-Key" not in build_call(base_url="https://s", api_key=None, query="a", max_results=1).headers


@pytest.mark.asyncio
async def test_the_service_receives_exactly_that_request() -> None:
    async with SearchService().server() as server:
        config = ExampleSearchToolConfig(base_url=server.url, api_key=SecretStr("search-key"))
        await search(config, SearchArgs(query="copier", max_results=2))
        [request] = server.requests
    assert (request.method, request.path, request.query) == ("POST", "/search", {})
    assert json.loads(request.body) == {"q": "copier", "num": 2}
    assert request.headers["x-api-key"] == "search-key"
    assert "authorization" not in request.headers


def test_hits_are_read_from_organic_results() -> None:
    body = b'{"organic": [{"title": "A", "link": "https://a.example", "position": 1}]}'
    assert parse_hits(body) == [SearchHit(title="A", url="https://a.example")]


@pytest.mark.parametrize("body", [b"<html/>", b'{"results": []}', b'{"organic": [{"title": "no link"}]}'])
def test_unreadable_bodies_are_search_api_errors(body: bytes) -> None:
    with pytest.raises(SearchAPIError, match="unreadable body"):
        parse_hits(body)


@pytest.mark.parametrize(
    ("body", "message"), [(b'{"message": "Unauthorized.", "statusCode": 403}', "Unauthorized."), (b"", None)]
)
def test_error_bodies(body: bytes, message: str | None) -> None:
    assert error_message(body) == message
