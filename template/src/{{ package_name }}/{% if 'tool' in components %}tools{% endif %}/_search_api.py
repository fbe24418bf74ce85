"""The wire format of the search service: the one vendor-specific module of the search tool.

It implements the contract stated in `_search_contract.py`; to target another search service, rewrite this
module (and its test-side twin, `tests/tools/search_wire.py`). The format assumed here:

```text
GET {base_url}/search?q=<query>&limit=<max_results>
Accept: application/json
Authorization: Bearer <api key>            (omitted when there is no key)

200 {"results": [{"title": "...", "url": "...", "snippet": "..."}, ...]}   (snippet optional)
4xx/5xx {"error": {"message": "..."}}, {"error": "..."} or {"message": "..."}; any other body is quoted
```
"""

from __future__ import annotations

import json
from typing import cast

from pydantic import ValidationError

from ._search_contract import SearchAPIError, SearchCall, SearchHit


def build_call(*, base_url: str, api_key: str | None, query: str, max_results: int) -> SearchCall:
    """`GET {base_url}/search?q=...&limit=...`, with the key as a bearer token."""
    headers = {"Accept": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    url = base_url.rstrip("/") + "/search"
    return SearchCall("GET", url, params={"q": query, "limit": max_results}, headers=headers)


def parse_hits(body: bytes) -> list[SearchHit]:
    """`{"results": [...]}` -> hits.

    Raises:
        SearchAPIError: the body is not JSON, or has no `results` list of hits.
    """
    try:
        results = json.loads(body)["results"]
        return [SearchHit.model_validate(item) for item in results]
    except (ValueError, KeyError, TypeError, ValidationError) as exc:
        problem = type(exc).__name__
        raise SearchAPIError(f"search service returned an unreadable body ({problem}): {body[:200]!r}") from exc


def error_message(body: bytes) -> str | None:
    """The most useful short text in an error body."""
    try:
        decoded: object = json.loads(body)
    except ValueError:
        decoded = None
    if isinstance(decoded, dict):
        fields = cast("dict[str, object]", decoded)
        for key in ("error", "message"):
            value = fields.get(key)
            if isinstance(value, dict):
                value = cast("dict[str, object]", value).get("message")
            if value:
                return str(value)[:300]
    return body.decode(errors="replace").strip()[:300] or None
