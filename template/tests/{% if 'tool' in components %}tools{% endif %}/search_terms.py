"""The fake search service's vocabulary, vendor-neutral: a search request in the tool's terms, and the
contract of the module that speaks the service's wire format (`search_wire.py`).

`SearchWire` (in `search_wire.py`) must provide:

- `read(request)`: the HTTP request as a `SentSearch`, or `None` when it is not a search (HTTP 404);
- `render_hits(hits)`: a successful body holding `hits` (dicts with `title`, `url` and `snippet`);
- `render_error(status, message)`: an error body carrying `message` the way the service reports errors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from tests.loopback import Request


@dataclass(frozen=True)
class SentSearch:
    """One search request, in the tool's terms."""

    query: str
    max_results: int
    api_key: str | None


class SearchWireRenderer(Protocol):
    """Reads search requests and renders answers in one service's wire format (see the module docstring)."""

    def read(self, request: Request) -> SentSearch | None: ...

    def render_hits(self, hits: Sequence[Mapping[str, str]]) -> bytes: ...

    def render_error(self, status: int, message: str) -> bytes: ...
