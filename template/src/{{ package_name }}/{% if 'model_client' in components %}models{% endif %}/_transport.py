"""HTTP plumbing shared by every vendor: a pooled httpx client, retries with backoff, server-sent-event framing.

Nothing here knows the chat-completions wire format; ``_wire_format.py`` does. The policy, chosen to match
what OpenAI-compatible servers signal:

- 408, 409, 429 and 5xx responses, and failures to connect (or a connection that dies before the response
  arrives), are retried up to ``max_retries`` times with exponential backoff and jitter. A ``Retry-After`` (or
  ``retry-after-ms``) header replaces the backoff; one longer than ``MAX_RETRY_AFTER`` is not waited for.
- Other 4xx responses are not retried: the same request would fail the same way.
- Read timeouts are not retried: the server may still be generating, and a retry would pay for the whole
  generation again and double the caller's wait.
- Once a stream has delivered data it is never retried, because the caller has already seen part of it.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import AsyncGenerator, Callable, Mapping

import httpx

from ._errors import (
    ModelAPIConnectionError,
    ModelAPIError,
    ModelAPIStatusError,
    ModelAPITimeoutError,
)

logger = logging.getLogger(__name__)

RETRYABLE_STATUS_CODES = frozenset({408, 409, 429})
INITIAL_BACKOFF = 0.25
"""Seconds before the first retry when the server sends no ``Retry-After``; doubles on each attempt."""
MAX_BACKOFF = 8.0
MAX_RETRY_AFTER = 60.0
"""A server asking to wait longer than this is treated as a final answer rather than waited for."""

# Connection failures that happen before the server could have acted on the request, or on a pooled
# keep-alive connection the server closed while it sat idle: safe to send again.
_RETRYABLE_TRANSPORT_ERRORS = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)

ErrorMessageParser = Callable[[bytes], "str | None"]
"""Extracts the server's explanation from an error body (vendor-specific, supplied by the wire format)."""


def is_retryable_status(status_code: int) -> bool:
    return status_code in RETRYABLE_STATUS_CODES or status_code >= 500


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """The wait a server asked for in ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date)."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds is not None:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with jitter, so many clients rejected together do not retry in lockstep."""
    return min(MAX_BACKOFF, INITIAL_BACKOFF * 2.0**attempt) * (0.75 + random.random() / 4)


class SSEDecoder:
    """Splits a server-sent-event byte stream into the ``data`` of each event.

    A minimal decoder for https://html.spec.whatwg.org/multipage/server-sent-events.html: an event ends at a
    blank line, multi-line data is joined with newlines, comments and other fields are ignored. Bytes arrive
    in arbitrary pieces; a partial line waits for the next piece.
    """

    __slots__ = ("_buffer", "_data")

    def __init__(self) -> None:
        self._buffer = b""
        self._data: list[bytes] = []

    def feed(self, chunk: bytes) -> list[str]:
        """Take the next bytes; return the events they complete."""
        *lines, self._buffer = (self._buffer + chunk).split(b"\n")
        events: list[str] = []
        data = self._data
        for line in lines:
            if line.endswith(b"\r"):
                line = line[:-1]
            if not line:
                if data:
                    events.append(b"\n".join(data).decode())
                    data = self._data = []
            elif line.startswith(b"data:"):
                value = line[5:]
                data.append(value[1:] if value.startswith(b" ") else value)
        return events

    def flush(self) -> list[str]:
        """At the end of the body: a server may omit the blank line after its last event."""
        return self.feed(b"\n\n") if self._buffer or self._data else []


class HTTPTransport:
    """Sends JSON requests to one kind of server, with pooling, retries and streaming.

    The httpx client is created on first use, not in ``__init__``: creating it loads CA certificates from
    disk, and a component must not do I/O while being constructed (or loaded from a config).

    Args:
        timeout: Seconds allowed for connecting, for sending, and for each read (so a stream may run longer,
            as long as no gap between chunks exceeds it).
        max_retries: Retries after the first attempt, for the failures listed in the module docstring.
        error_message: Extracts the server's explanation from an error body.
    """

    def __init__(self, *, timeout: float, max_retries: int, error_message: ErrorMessageParser) -> None:
        self._timeout = timeout
        self._max_retries = max_retries
        self._error_message = error_message
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _http(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        # Pooled connections belong to the loop that opened them; a script that calls asyncio.run() twice
        # gets a fresh pool instead of "attached to a different loop" errors.
        if self._client is None or self._client.is_closed or self._loop is not loop:
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self._timeout),
                # Keep enough idle connections for a burst of concurrent agents; httpx's default of 20
                # would close and re-open connections between bursts.
                limits=httpx.Limits(max_connections=1000, max_keepalive_connections=100),
            )
            self._loop = loop
        return self._client

    async def aclose(self) -> None:
        """Close pooled connections. The transport stays usable: the next request opens a new pool."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> bytes:
        """POST ``body`` and return the response body of the first successful attempt.

        Raises:
            ModelAPIStatusError: an HTTP error status that was not retried, or still failed after retries.
            ModelAPIConnectionError: the server could not be reached or dropped the connection.
            ModelAPITimeoutError: the server was slower than the timeout.
        """
        attempt = 0
        while True:
            error: ModelAPIError
            try:
                response = await self._http().post(url, content=body, headers=headers)
            except httpx.TransportError as exc:
                error, delay = self._transport_failure(exc, url, attempt)
            else:
                if response.is_success:
                    return response.content
                error, delay = self._status_failure(response, url, attempt)
            attempt = await self._wait_or_raise(error, delay, attempt)

    async def stream_events(self, url: str, body: bytes, headers: Mapping[str, str]) -> AsyncGenerator[list[str], None]:
        """POST ``body`` and yield the ``data`` of the server-sent events, one list per network read.

        Batching per read keeps the per-event cost low when a server packs many small events into one
        packet, while still handing each event on as soon as it arrives.

        Raises:
            ModelAPIStatusError, ModelAPIConnectionError, ModelAPITimeoutError: as ``post``; a connection
                lost or stalled mid-stream raises ``ModelAPIConnectionError`` / ``ModelAPITimeoutError``.
        """
        attempt = 0
        while True:
            error: ModelAPIError
            client = self._http()
            try:
                request = client.build_request("POST", url, content=body, headers=headers)
                response = await client.send(request, stream=True)
            except httpx.TransportError as exc:
                error, delay = self._transport_failure(exc, url, attempt)
            else:
                try:
                    if response.is_success:
                        decoder = SSEDecoder()
                        try:
                            async for chunk in response.aiter_bytes():
                                events = decoder.feed(chunk)
                                if events:
                                    yield events
                        except httpx.TransportError as exc:
                            raise self._mid_stream_failure(exc, url) from exc
                        events = decoder.flush()
                        if events:
                            yield events
                        return
                    await response.aread()
                except httpx.TransportError as exc:
                    raise self._mid_stream_failure(exc, url) from exc
                finally:
                    # On success, error, cancellation or an abandoned generator alike: an unfinished
                    # response is closed, not returned to the pool, so no connection leaks.
                    await response.aclose()
                error, delay = self._status_failure(response, url, attempt)
            attempt = await self._wait_or_raise(error, delay, attempt)

    def _status_failure(self, response: httpx.Response, url: str, attempt: int) -> tuple[ModelAPIError, float | None]:
        server_message = self._error_message(response.content)
        status = response.status_code
        error = ModelAPIStatusError(
            f"model server returned HTTP {status} {response.reason_phrase} for POST {url}"
            + (f": {server_message}" if server_message else ""),
            status_code=status,
            server_message=server_message,
        )
        if not is_retryable_status(status):
            return error, None
        requested = retry_after_seconds(response.headers)
        if requested is None:
            return error, backoff_seconds(attempt)
        if requested > MAX_RETRY_AFTER:
            error.args = (f"{error.args[0]} (server asked to retry after {requested:.0f}s; not waiting that long)",)
            return error, None
        return error, requested

    def _transport_failure(
        self, exc: httpx.TransportError, url: str, attempt: int
    ) -> tuple[ModelAPIError, float | None]:
        error: ModelAPIError
        if isinstance(exc, httpx.ConnectTimeout):
            error = ModelAPIConnectionError(f"could not connect to the model server at {url} within {self._timeout}s")
        elif isinstance(exc, httpx.TimeoutException):
            error = ModelAPITimeoutError(
                f"model server at {url} did not answer within {self._timeout}s ({type(exc).__name__})"
            )
        else:
            error = ModelAPIConnectionError(f"cannot reach the model server at {url}: {type(exc).__name__}: {exc}")
        error.__cause__ = exc  # raised later, outside the except block: keep httpx's detail in the traceback
        retryable = isinstance(exc, _RETRYABLE_TRANSPORT_ERRORS)
        return error, backoff_seconds(attempt) if retryable else None

    def _mid_stream_failure(self, exc: httpx.TransportError, url: str) -> ModelAPIError:
        if isinstance(exc, httpx.TimeoutException):
            return ModelAPITimeoutError(f"model server at {url} sent nothing for {self._timeout}s mid-reply")
        return ModelAPIConnectionError(
            f"model server at {url} closed the connection in the middle of a reply: {type(exc).__name__}: {exc}"
        )

    async def _wait_or_raise(self, error: ModelAPIError, delay: float | None, attempt: int) -> int:
        if delay is None or attempt >= self._max_retries:
            raise error
        logger.info("retrying in %.2fs (attempt %d of %d): %s", delay, attempt + 1, self._max_retries, error)
        await asyncio.sleep(delay)
        return attempt + 1
