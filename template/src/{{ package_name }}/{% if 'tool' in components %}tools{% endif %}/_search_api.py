"""The vendor-specific part of the search tool: one HTTP call and its wire format.

To target a different search service, rewrite this module only: ``search()`` takes the validated
arguments and returns ``SearchHit`` objects, raising the exceptions below. The AutoGen side
(component config, schema, cancellation, result formatting) stays in ``_search_tool.py``.

Wire format assumed here::

    GET {base_url}/search?q=<query>&limit=<max_results>
    Authorization: Bearer <api key>

    200 {"results": [{"title": "...", "url": "...", "snippet": "..."}, ...]}
    4xx/5xx {"error": {"message": "..."}}  (or any body; its text is kept for the error message)
"""

from __future__ import annotations

from typing import cast

import httpx
from pydantic import BaseModel, Field, ValidationError


class SearchHit(BaseModel):
    """One search result."""

    title: str = Field(description="Title of the page.")
    url: str = Field(description="Address of the page.")
    snippet: str = Field(default="", description="Short extract that matches the query.")


class SearchAPIError(RuntimeError):
    """The search service answered with an error or with a body this client cannot read."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class SearchAuthenticationError(SearchAPIError):
    """The service refused the API key (HTTP 401 or 403)."""


class SearchTimeoutError(SearchAPIError, TimeoutError):
    """The service did not answer within the configured timeout."""


class SearchConnectionError(SearchAPIError, ConnectionError):
    """The service could not be reached."""


def _server_message(response: httpx.Response) -> str:
    """The most useful short text in an error response."""
    try:
        body: object = response.json()
    except ValueError:
        body = None
    # Common shapes: {"error": {"message": ...}}, {"error": "..."}, {"message": "..."}.
    if isinstance(body, dict):
        fields = cast("dict[str, object]", body)
        for key in ("error", "message"):
            value = fields.get(key)
            if isinstance(value, dict):
                value = cast("dict[str, object]", value).get("message")
            if value:
                return str(value)[:300]
    return response.text.strip()[:300] or response.reason_phrase


def _parse_hits(response: httpx.Response) -> list[SearchHit]:
    try:
        body = response.json()
        results = body["results"]
        return [SearchHit.model_validate(item) for item in results]
    except (ValueError, KeyError, TypeError, ValidationError) as exc:
        raise SearchAPIError(
            f"search service returned an unreadable body ({type(exc).__name__}): {response.text[:200]!r}",
            status_code=response.status_code,
        ) from exc


async def search(
    client: httpx.AsyncClient, *, base_url: str, api_key: str | None, query: str, max_results: int
) -> list[SearchHit]:
    """Run one search and return at most ``max_results`` hits.

    Raises:
        SearchAuthenticationError: on HTTP 401/403.
        SearchTimeoutError: when the service is slower than the client's timeout.
        SearchConnectionError: when the service cannot be reached.
        SearchAPIError: on any other HTTP error or an unreadable body.
    """
    headers = {"Accept": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    url = base_url.rstrip("/") + "/search"
    try:
        response = await client.get(url, params={"q": query, "limit": max_results}, headers=headers)
    except httpx.TimeoutException as exc:
        raise SearchTimeoutError(f"search service did not answer in time ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        raise SearchConnectionError(f"cannot reach the search service at {url}: {exc}") from exc
    if response.status_code in (401, 403):
        raise SearchAuthenticationError(
            f"search service refused the API key (HTTP {response.status_code}): {_server_message(response)}",
            status_code=response.status_code,
        )
    if response.is_error:
        raise SearchAPIError(
            f"search service error (HTTP {response.status_code}): {_server_message(response)}",
            status_code=response.status_code,
        )
    return _parse_hits(response)[:max_results]
