"""The fake search service's wire format: the one `_search_api.py` speaks (described in its docstring).

The vendor-specific half of `search_server.py` (the contract is in `search_terms.py`): `SearchWire` reads a
search request back into a vendor-neutral `SentSearch` and renders hits and errors as the service would.
Rewrite this module together with `_search_api.py` when targeting another service.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from tests.loopback import Request
from tests.tools.search_terms import SentSearch


class SearchWire:
    """`GET /search?q=...&limit=...` with a bearer token; hits as `{"results": [...]}`."""

    def read(self, request: Request) -> SentSearch | None:
        """The request as a `SentSearch`, or `None` when it is not a search (HTTP 404)."""
        if request.method != "GET" or request.path != "/search":
            return None
        authorization = request.headers.get("authorization", "")
        return SentSearch(
            query=request.query.get("q", [""])[0],
            max_results=int(request.query.get("limit", ["5"])[0]),
            api_key=authorization.removeprefix("Bearer ") if authorization.startswith("Bearer ") else None,
        )

    def render_hits(self, hits: Sequence[Mapping[str, str]]) -> bytes:
        return json.dumps({"results": list(hits)}).encode()

    def render_error(self, status: int, message: str) -> bytes:
        return json.dumps({"error": {"message": message, "code": status}}).encode()
