"""The wire format of the search service: the one vendor-specific module of the search tool.

It implements the contract stated in `_search_contract.py` (this module replaces the generated GET one).
The format: a POST with a JSON body and the key in a header, as several hosted search APIs do it:

```text
POST {base_url}/search
Content-Type: application/json
X-API-Key: <api key>                       (omitted when there is no key)

{"q": "<query>", "num": <max_results>}

200 {"organic": [{"title": "...", "link": "...", "snippet": "...", "position": 1}, ...]}   (snippet optional)
4xx/5xx {"message": "...", "statusCode": 403}; any other body is quoted
```
"""

from __future__ import annotations

import json
from typing import Any, cast

from pydantic import ValidationError

from ._search_contract import SearchAPIError, SearchCall, SearchHit


def build_call(*, base_url: str, api_key: str | None, query: str, max_results: int) -> SearchCall:
    """`POST {base_url}/search` with `{"q": ..., "num": ...}`, the key in `X-API-Key`."""
    headers = {"Accept": "application/json"}
    if api_key:
        headers["X-API-Key"] = api_key
    return SearchCall("POST", base_url.rstrip("/") + "/search", headers=headers, json={"q": query, "num": max_results})


def parse_hits(body: bytes) -> list[SearchHit]:
    """`{"organic": [...]}` -> hits (`link` is the hit's URL).

    Raises:
        SearchAPIError: the body is not JSON, or has no `organic` list of results.
    """
    try:
        results = cast(list[dict[str, Any]], json.loads(body)["organic"])
        return [SearchHit(title=item["title"], url=item["link"], snippet=item.get("snippet") or "") for item in results]
    except (ValueError, KeyError, TypeError, ValidationError) as exc:
        problem = type(exc).__name__
        raise SearchAPIError(f"search service returned an unreadable body ({problem}): {body[:200]!r}") from exc


def error_message(body: bytes) -> str | None:
    """`{"message": "..."}`, or the text itself."""
    try:
        decoded: object = json.loads(body)
    except ValueError:
        decoded = None
    if isinstance(decoded, dict):
        message = cast("dict[str, object]", decoded).get("message")
        if message:
            return str(message)[:300]
    return body.decode(errors="replace").strip()[:300] or None
