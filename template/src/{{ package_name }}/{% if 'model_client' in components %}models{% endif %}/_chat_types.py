"""The model client's own vocabulary: messages, tool calls, tool specs, usage and finish reasons.

The wire format (`_wire_format.py`) and the vendor-neutral core (`_chat_core.py`) speak only these types, so
neither depends on an agent framework. Each framework front converts its own types at its edge: the AutoGen
client (`_chat_completion_client.py`) turns `LLMMessage`s into these messages and a `Reply` into a
`CreateResult`.

The names and fields follow AutoGen's where the meaning is the same (`content`, `thought`, `call_id`,
`prompt_tokens`, the finish-reason words), so a wire format written against AutoGen's types moves over by
changing its imports: see docs/updating.md in the template's repository.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from typing_extensions import Required, TypedDict

FinishReason = Literal["stop", "length", "function_calls", "content_filter", "unknown"]
"""Why the model stopped: its answer was complete, it hit the token limit, it called tools, it declined (or its
answer was filtered), or the server said something else."""


class ImagePart:
    """An image in a user message, sent as a `data:` URI.

    Args:
        data_uri: The image as `data:<media type>;base64,<data>`, or a function returning it: a front that holds
            the image in another form passes a function, so an image is encoded only when a request needs it.
        width: Width in pixels, when known (token estimates use it).
        height: Height in pixels, when known.
    """

    __slots__ = ("_data_uri", "height", "width")

    def __init__(self, data_uri: str | Callable[[], str], *, width: int | None = None, height: int | None = None):
        self._data_uri = data_uri
        self.width = width
        self.height = height

    @property
    def data_uri(self) -> str:
        """`data:<media type>;base64,<data>`."""
        if not isinstance(self._data_uri, str):
            self._data_uri = self._data_uri()
        return self._data_uri

    @property
    def media_type(self) -> str:
        """The image's media type, e.g. `image/png`."""
        return self.data_uri.partition(";")[0].removeprefix("data:")

    @property
    def base64(self) -> str:
        """The image's bytes, base64-encoded (what APIs that take bare images want)."""
        return self.data_uri.partition(",")[2]

    def to_bytes(self) -> bytes:
        """The image's bytes."""
        return base64.b64decode(self.base64)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ImagePart) and other.data_uri == self.data_uri

    def __hash__(self) -> int:
        return hash(self.data_uri)

    def __repr__(self) -> str:
        size = f", width={self.width}, height={self.height}" if self.width is not None else ""
        return f"ImagePart({self.media_type!r}{size})"


@dataclass(frozen=True)
class ToolCall:
    """A call the model asked for.

    Attributes:
        id: The call's id; never empty (a wire format makes one with `new_call_id()` when the server sends none),
            because tool results are matched to calls by it.
        name: The tool's name.
        arguments: The arguments as a JSON string, as the model wrote them (not necessarily valid JSON).
    """

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class ToolResult:
    """The result of one tool call, sent back to the model.

    Attributes:
        call_id: The id of the `ToolCall` it answers.
        content: The result as text.
        name: The tool's name (some APIs want it beside the id), or `""` when the front does not know it.
        is_error: Whether the tool failed (`content` then explains why).
    """

    call_id: str
    content: str
    name: str = ""
    is_error: bool = False


@dataclass(frozen=True)
class SystemMessage:
    """Instructions for the model."""

    content: str


@dataclass(frozen=True)
class UserMessage:
    """What the user said: text, or text and images in order."""

    content: str | Sequence[str | ImagePart]


@dataclass(frozen=True)
class AssistantMessage:
    """An earlier reply of the model: its text, or the tool calls it made.

    Attributes:
        content: The reply's text, or its tool calls.
        thought: The reasoning, and/or the text the model wrote beside its tool calls.
    """

    content: str | Sequence[ToolCall]
    thought: str | None = None


@dataclass(frozen=True)
class ToolResultMessage:
    """The results of the tool calls of the previous assistant message."""

    content: Sequence[ToolResult]


ChatMessage = SystemMessage | UserMessage | AssistantMessage | ToolResultMessage
"""One message of the conversation sent to the model."""


class ToolSpec(TypedDict, total=False):
    """A tool the model may call: a function with a JSON-schema description of its arguments.

    Attributes:
        name: The function's name.
        description: What it does, for the model.
        parameters: The JSON schema of its arguments (an object schema).
        strict: Whether the server must make the arguments match the schema exactly.
    """

    name: Required[str]
    description: str
    parameters: dict[str, Any]
    strict: bool


@dataclass(frozen=True)
class Usage:
    """Tokens one request used."""

    prompt_tokens: int
    completion_tokens: int
