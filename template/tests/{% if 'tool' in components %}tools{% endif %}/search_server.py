"""A fake search service on 127.0.0.1, vendor-neutral: a small corpus, an API key, and failure modes.

It answers in the wire format that `search_wire.py` renders (the one `_search_api.py` speaks), so tests
exercise the tool's real HTTP path: the request, status codes, slow answers and unreadable bodies. Requests
are read back into vendor-neutral `SentSearch` objects (`seen`), so tests need not know the wire format.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Literal

from tests.loopback import LoopbackServer, Request, Responder
from tests.tools.search_terms import SearchWireRenderer, SentSearch
from tests.tools.search_wire import SearchWire

Mode = Literal["ok", "server_error", "slow", "garbage"]

CORPUS = [
    {"title": "AutoGen", "url": "https://example.org/autogen", "snippet": "A framework for agentic AI."},
    {"title": "AutoGen extensions", "url": "https://example.org/ext", "snippet": "Packages that extend AutoGen."},
    {"title": "Copier", "url": "https://example.org/copier", "snippet": "A library for rendering templates."},
]


@dataclass
class SearchService:
    """Behaviour of the fake service; change `mode` or `api_key` between calls."""

    api_key: str = "search-key"
    mode: Mode = "ok"
    delay: float = 5.0
    wire: SearchWireRenderer = field(default_factory=SearchWire)
    seen: list[SentSearch] = field(default_factory=list[SentSearch])
    """Every search request received, in order."""
    request_arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: Request, respond: Responder) -> None:
        self.request_arrived.set()
        sent = self.wire.read(request)
        if sent is None:
            await respond.send(
                404, self.wire.render_error(404, f"no route {request.path}"), content_type="application/json"
            )
            return
        self.seen.append(sent)
        if sent.api_key != self.api_key:
            await respond.send(401, self.wire.render_error(401, "invalid API key"), content_type="application/json")
        elif self.mode == "server_error":
            await respond.send(500, self.wire.render_error(500, "index unavailable"), content_type="application/json")
        elif self.mode == "garbage":
            await respond.send(200, b"<html>not json</html>", content_type="text/html")
        else:
            if self.mode == "slow":
                await asyncio.sleep(self.delay)
            query = sent.query.lower()
            hits = [hit for hit in CORPUS if query in (hit["title"] + " " + hit["snippet"]).lower()]
            await respond.send(200, self.wire.render_hits(hits[: sent.max_results]), content_type="application/json")

    def server(self) -> LoopbackServer:
        return LoopbackServer(self.handle)
