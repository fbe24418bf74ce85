"""HTTP plumbing shared by every vendor: a pooled (or caller-supplied) httpx client, retries, timeouts.

Nothing here knows a vendor's wire format; `_wire_format.py` does, and hands in the two things the retry
policy needs from it: how to read the server's explanation out of an error body, and any vendor-specific
retry hint. The policy, one loop for plain and streamed requests alike:

- 408, 409, 429 and 5xx responses, and failures to connect (or a connection that dies before the response
  arrives), are retried up to `max_retries` times with exponential backoff and jitter. A wait the server asks
  for (the vendor's hint, else the standard `Retry-After` in seconds or as an HTTP date) replaces the backoff;
  one longer than `MAX_RETRY_AFTER` is not waited for.
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
"""Seconds before the first retry when the server asks for no particular wait; doubles on each attempt."""
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
RetryHint = Callable[[Mapping[str, str]], "float | None"]
"""A vendor-specific wait, in seconds, from a response's headers (supplied by the wire format)."""


def is_retryable_status(status_code: int) -> bool:
    return status_code in RETRYABLE_STATUS_CODES or status_code >= 500


def standard_retry_after(headers: Mapping[str, str]) -> float | None:
    """The wait the standard `Retry-After` header asks for: seconds, or an HTTP date."""
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


class HTTPTransport:
    """Sends requests to one kind of server, with pooling, retries and streaming.

    Args:
        timeout: Seconds allowed for connecting, for sending, and for each read (so a stream may run longer,
            as long as no gap between chunks exceeds it). Applied to every request, whichever client sends it.
        max_retries: Retries after the first attempt, for the failures listed in the module docstring.
        error_message: Extracts the server's explanation from an error body.
        retry_hint: A vendor-specific wait from a response's headers, consulted before `Retry-After`.
        http_client: A client to send every request with (proxies, mTLS, tracing). The transport never
            closes it. Without one, the transport creates its own pool on first use, not in `__init__`:
            creating one loads CA certificates from disk, and a component must not do I/O while being
            constructed (or loaded from a config).
    """

    def __init__(
        self,
        *,
        timeout: float,
        max_retries: int,
        error_message: ErrorMessageParser,
        retry_hint: RetryHint,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._timeout_seconds = timeout
        self._timeout = httpx.Timeout(timeout)
        self._max_retries = max_retries
        self._error_message = error_message
        self._retry_hint = retry_hint
        self._given_client = http_client
        self._own_client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._given_client is not None:
            return self._given_client
        loop = asyncio.get_running_loop()
        # Pooled connections belong to the loop that opened them; a script that calls asyncio.run() twice
        # gets a fresh pool instead of "attached to a different loop" errors.
        if self._own_client is None or self._own_client.is_closed or self._loop is not loop:
            self._own_client = httpx.AsyncClient(
                timeout=self._timeout,
                # Keep enough idle connections for a burst of concurrent agents; httpx's default of 20
                # would close and re-open connections between bursts.
                limits=httpx.Limits(max_connections=1000, max_keepalive_connections=100),
            )
            self._loop = loop
        return self._own_client

    async def aclose(self) -> None:
        """Close the transport's own pooled connections (never a caller's client); the next request reopens."""
        client, self._own_client = self._own_client, None
        if client is not None:
            await client.aclose()

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> bytes:
        """POST `body` and return the response body of the first successful attempt.

        Raises:
            ModelAPIStatusError: an HTTP error status that was not retried, or still failed after retries.
            ModelAPIConnectionError: the server could not be reached or dropped the connection.
            ModelAPITimeoutError: the server was slower than the timeout.
        """
        response = await self._send(url, body, headers, stream=False)
        return response.content

    async def stream(self, url: str, body: bytes, headers: Mapping[str, str]) -> AsyncGenerator[bytes, None]:
        """POST `body` and yield the successful response's body as it arrives, one piece per network read.

        Raises:
            ModelAPIStatusError, ModelAPIConnectionError, ModelAPITimeoutError: as `post`; a connection lost or
                stalled mid-stream raises `ModelAPIConnectionError` / `ModelAPITimeoutError`, never retried.
        """
        response = await self._send(url, body, headers, stream=True)
        try:
            async for chunk in response.aiter_bytes():
                yield chunk
        except httpx.TransportError as exc:
            raise self._mid_stream_failure(exc, url) from exc
        finally:
            # On success, error, cancellation or an abandoned generator alike: an unfinished response is
            # closed, not returned to the pool, so no connection leaks.
            await response.aclose()

    async def _send(self, url: str, body: bytes, headers: Mapping[str, str], *, stream: bool) -> httpx.Response:
        """The retry loop: send until a response succeeds, then return it (for streams, with its body unread)."""
        attempt = 0
        while True:
            error: ModelAPIError
            client = self._http()
            try:
                request = client.build_request("POST", url, content=body, headers=headers, timeout=self._timeout)
                response = await client.send(request, stream=stream)
                if response.is_success:
                    return response
                try:
                    await response.aread()  # the error body, for the server's message
                finally:
                    await response.aclose()
            except httpx.TransportError as exc:
                error, delay = self._transport_failure(exc, url, attempt)
            else:
                error, delay = self._status_failure(response, url, attempt)
            if delay is None or attempt >= self._max_retries:
                raise error
            logger.info("retrying in %.2fs (attempt %d of %d): %s", delay, attempt + 1, self._max_retries, error)
            await asyncio.sleep(delay)
            attempt += 1

    def _status_failure(self, response: httpx.Response, url: str, attempt: int) -> tuple[ModelAPIError, float | None]:
        server_message = self._error_message(response.content)
        status = response.status_code
        # Some statuses (529, or any a proxy invents) have no standard reason phrase.
        status_text = f"HTTP {status} {response.reason_phrase}".rstrip()
        error = ModelAPIStatusError(
            f"model server returned {status_text} for POST {url}" + (f": {server_message}" if server_message else ""),
            status_code=status,
            server_message=server_message,
        )
        if not is_retryable_status(status):
            return error, None
        requested = self._retry_hint(response.headers)
        if requested is None:
            requested = standard_retry_after(response.headers)
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
            error = ModelAPIConnectionError(
                f"could not connect to the model server at {url} within {self._timeout_seconds}s"
            )
        elif isinstance(exc, httpx.TimeoutException):
            error = ModelAPITimeoutError(
                f"model server at {url} did not answer within {self._timeout_seconds}s ({type(exc).__name__})"
            )
        else:
            error = ModelAPIConnectionError(f"cannot reach the model server at {url}: {type(exc).__name__}: {exc}")
        error.__cause__ = exc  # raised later, outside the except block: keep httpx's detail in the traceback
        retryable = isinstance(exc, _RETRYABLE_TRANSPORT_ERRORS)
        return error, backoff_seconds(attempt) if retryable else None

    def _mid_stream_failure(self, exc: httpx.TransportError, url: str) -> ModelAPIError:
        if isinstance(exc, httpx.TimeoutException):
            return ModelAPITimeoutError(f"model server at {url} sent nothing for {self._timeout_seconds}s mid-reply")
        return ModelAPIConnectionError(
            f"model server at {url} closed the connection in the middle of a reply: {type(exc).__name__}: {exc}"
        )
