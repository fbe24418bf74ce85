"""The fake search service's wire format: the POST one `_search_api.py` speaks (described in its docstring)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, cast

from tests.loopback import Request
from tests.tools.search_terms import SentSearch


class SearchWire:
    """`POST /search` with `{"q": ..., "num": ...}` and `X-API-Key`; hits as `{"organic": [...]}`."""

    def read(self, request: Request) -> SentSearch | None:
        """The request as a `SentSearch`, or `None` when it is not a search (HTTP 404)."""
        if request.method != "POST" or request.path != "/search":
            return None
        body = cast(dict[str, Any], request.json())
        return SentSearch(query=body["q"], max_results=int(body["num"]), api_key=request.headers.get("x-api-key"))

    def render_hits(self, hits: Sequence[Mapping[str, str]]) -> bytes:
        organic = [
            {"title": hit["title"], "link": hit["url"], "snippet": hit["snippet"], "position": number}
            for number, hit in enumerate(hits, start=1)
        ]
        return json.dumps({"organic": organic, "searchParameters": {"type": "search"}}).encode()

    def render_error(self, status: int, message: str) -> bytes:
        return json.dumps({"message": message, "statusCode": status}).encode()
