"""The contract between the search tool and the search service's API: what `_search_api.py` must provide.

The tool is split like the model client. `_search_tool.py` is only the AutoGen front (component,
argument schema, cancellation). Below it nothing imports an agent framework: `_config.py` holds the config,
the arguments and the result, and `_search_core.py` does the plain HTTP: it sends the request, applies the
timeout, turns connection failures, timeouts and HTTP error statuses into the exceptions below, and renders
the result text. Everything the service decides lives in `_search_api.py`, which must provide these
functions (mypy and pyright check it: the core assigns the module to a `SearchAPI` variable):

- `build_call(*, base_url, api_key, query, max_results)`: a `SearchCall` (method, URL, query parameters,
  headers with authentication, JSON body);
- `parse_hits(body)`: the body of a successful response -> a list of `SearchHit`, raising `SearchAPIError`
  when it cannot be read;
- `error_message(body)`: the service's own explanation inside an HTTP error body, or `None`.

The wire format itself is described in `_search_api.py`'s docstring, and nowhere else. The tests are split
the same way: `tests/tools/search_wire.py` renders the test service's answers in that format and reads its
requests, `tests/tools/test_search_api.py` tests the seam, and the other tests in `tests/tools/` are
vendor-neutral: they must pass unchanged after those three modules are rewritten. The seam's tests and the
core's (`test_search_core.py`) import no agent framework: `tests/test_framework_free.py` runs them with
every framework blocked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import BaseModel, Field


class SearchHit(BaseModel):
    """One search result."""

    title: str = Field(description="Title of the page.")
    url: str = Field(description="Address of the page.")
    snippet: str = Field(default="", description="Short extract that matches the query.")


class SearchAPIError(RuntimeError):
    """The search service answered with an error or with a body this client cannot read.

    Attributes:
        status_code: The HTTP status of the failed response, or `None` when there was none.
    """

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class SearchAuthenticationError(SearchAPIError):
    """The service refused the API key (HTTP 401 or 403)."""


class SearchTimeoutError(SearchAPIError, TimeoutError):
    """The service did not answer within the configured timeout."""


class SearchConnectionError(SearchAPIError, ConnectionError):
    """The service could not be reached."""


@dataclass(frozen=True)
class SearchCall:
    """One HTTP request to the search service, ready to send.

    Attributes:
        method: `"GET"`, `"POST"`, ...
        url: The full URL, without the query string.
        params: Query-string parameters.
        headers: Every header, authentication included.
        json: A JSON body, or `None` for none.
    """

    method: str
    url: str
    params: Mapping[str, str | int] = field(default_factory=dict[str, str | int])
    headers: Mapping[str, str] = field(default_factory=dict[str, str])
    json: object | None = None


class SearchAPI(Protocol):
    """What `_search_api.py` provides, as module-level functions (see the module docstring above)."""

    def build_call(self, *, base_url: str, api_key: str | None, query: str, max_results: int) -> SearchCall:
        """The request for one search of at most `max_results` hits."""
        ...

    def parse_hits(self, body: bytes) -> list[SearchHit]:
        """A successful response body -> its hits.

        Raises:
            SearchAPIError: the body is not what the service returns.
        """
        ...

    def error_message(self, body: bytes) -> str | None:
        """The service's explanation inside an HTTP error body (short), or `None`."""
        ...
