"""Exceptions the model client raises for problems on the server's side of the wire.

Argument errors (a capability the model lacks, a missing base URL) stay `ValueError`, as in AutoGen's own
clients. Everything here derives from `ModelAPIError`, so `except ModelAPIError` catches every failure of
the HTTP exchange, while the standard bases (`ConnectionError`, `TimeoutError`) let generic retry code
that knows nothing about this package still classify them.
"""

from __future__ import annotations


class ModelAPIError(RuntimeError):
    """The model server could not be used: an HTTP error, an unreadable reply, a timeout or a lost connection.

    Attributes:
        status_code: The HTTP status of the failed response, or `None` when there was no response.
        server_message: The server's own explanation (e.g. `error.message` of an OpenAI-style error body),
            or `None` when the server gave none.
    """

    def __init__(self, message: str, *, status_code: int | None = None, server_message: str | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.server_message = server_message


class ModelAPIStatusError(ModelAPIError):
    """The server answered with an HTTP error status (after any retries)."""

    status_code: int

    def __init__(self, message: str, *, status_code: int, server_message: str | None = None) -> None:
        super().__init__(message, status_code=status_code, server_message=server_message)


class ModelAPIConnectionError(ModelAPIError, ConnectionError):
    """The server could not be reached, or closed the connection before the reply was complete."""


class ModelAPITimeoutError(ModelAPIError, TimeoutError):
    """The server did not answer (or stopped streaming) within the configured timeout."""


class ModelAPIResponseError(ModelAPIError):
    """The server answered, but with a body or stream that is not a valid chat completion."""
