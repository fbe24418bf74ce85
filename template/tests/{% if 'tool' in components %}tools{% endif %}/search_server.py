"""A fake search API on 127.0.0.1 that speaks the wire format of ``_search_api.py``.

It answers from a small in-memory corpus and can be switched into failure modes, so tests exercise the
tool's real HTTP path: headers, query string, status codes, slow answers and unreadable bodies.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Literal

from tests.loopback import LoopbackServer, Request, Responder

Mode = Literal["ok", "server_error", "slow", "garbage"]

CORPUS = [
    {"title": "AutoGen", "url": "https://example.org/autogen", "snippet": "A framework for agentic AI."},
    {"title": "AutoGen extensions", "url": "https://example.org/ext", "snippet": "Packages that extend AutoGen."},
    {"title": "Copier", "url": "https://example.org/copier", "snippet": "A library for rendering templates."},
]


@dataclass
class SearchService:
    """Behaviour of the fake service; change ``mode`` or ``api_key`` between calls."""

    api_key: str = "search-key"
    mode: Mode = "ok"
    delay: float = 5.0
    seen_authorization: list[str | None] = field(default_factory=list[str | None])
    request_arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: Request, respond: Responder) -> None:
        self.seen_authorization.append(request.headers.get("authorization"))
        self.request_arrived.set()
        if request.path != "/search":
            await respond.json(404, {"error": {"message": f"no route {request.path}"}})
        elif request.headers.get("authorization") != f"Bearer {self.api_key}":
            await respond.json(401, {"error": {"message": "invalid API key"}})
        elif self.mode == "server_error":
            await respond.json(500, {"error": {"message": "index unavailable"}})
        elif self.mode == "garbage":
            await respond.send(200, b"<html>not json</html>", content_type="text/html")
        else:
            if self.mode == "slow":
                await asyncio.sleep(self.delay)
            query = request.query.get("q", [""])[0].lower()
            limit = int(request.query.get("limit", ["5"])[0])
            hits = [hit for hit in CORPUS if query in (hit["title"] + " " + hit["snippet"]).lower()]
            await respond.json(200, {"results": hits[:limit]})

    def server(self) -> LoopbackServer:
        return LoopbackServer(self.handle)
