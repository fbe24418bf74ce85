"""Between AutoGen's types and the store's: checked conversion of `MemoryContent`, query words, message text.

Everything here is vendor-neutral and refuses bad input before a store sees it, so a refused `add` writes
nothing and every store gets the same clean records.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, cast

from autogen_core import FunctionCall, Image
from autogen_core.memory import MemoryContent, MemoryMimeType
from autogen_core.models import AssistantMessage, FunctionExecutionResultMessage, LLMMessage, UserMessage

from ._store_api import MemoryRecord, ScoredRecord

SUPPORTED_MIME_TYPES: tuple[MemoryMimeType, ...] = (
    MemoryMimeType.TEXT,
    MemoryMimeType.MARKDOWN,
    MemoryMimeType.JSON,
)
"""What the memory stores and searches: text, Markdown and JSON documents (images and bytes have no words)."""

SCORE_KEY = "score"
"""The metadata key of a query result that holds its relevance score (reserved: refused in added metadata)."""

MAX_QUERY_TERMS = 32
"""Distinct words of a query that are searched: the first ones. A long message still costs a bounded search."""

# A word is a run of letters and digits, in any script: what SQLite's unicode61 tokenizer and PostgreSQL's
# parser also treat as word characters. Everything else (quotes, *, ^, :, parentheses, -) is a separator.
_WORD = re.compile(r"[^\W_]+")
_SUPPORTED_TEXT = ", ".join(mime.value for mime in SUPPORTED_MIME_TYPES)


def to_record(content: MemoryContent, *, max_bytes: int) -> MemoryRecord:
    """A store record for `content`, or `ValueError` saying what is wrong with it."""
    mime_type = _supported_mime_type(content.mime_type)
    if mime_type is MemoryMimeType.JSON:
        if not isinstance(content.content, dict):
            raise ValueError(f"application/json content must be a dict, got {type(content.content).__name__}")
        text = _json_text(content.content, "JSON content")
    else:
        if not isinstance(content.content, str):
            raise ValueError(f"{mime_type.value} content must be a str, got {type(content.content).__name__}")
        text = content.content
    _check_text(text, max_bytes)
    return MemoryRecord(mime_type=mime_type.value, text=text, metadata=_checked_metadata(content.metadata))


def to_content(hit: ScoredRecord) -> MemoryContent:
    """The `MemoryContent` a query returns for `hit`: the stored content, its metadata and its score."""
    record = hit.record
    mime_type = MemoryMimeType(record.mime_type)
    content: str | dict[str, Any] = json.loads(record.text) if mime_type is MemoryMimeType.JSON else record.text
    return MemoryContent(content=content, mime_type=mime_type, metadata={**record.metadata, SCORE_KEY: hit.score})


def query_text(query: str | MemoryContent) -> str:
    """The text to search for: the string, or the text of a text, Markdown or JSON `MemoryContent`."""
    if isinstance(query, str):
        return query
    mime_type = _supported_mime_type(query.mime_type)
    if mime_type is MemoryMimeType.JSON and isinstance(query.content, dict):
        return _json_text(query.content, "JSON query")
    if isinstance(query.content, str):
        return query.content
    raise ValueError(f"cannot search for {mime_type.value} content of type {type(query.content).__name__}")


def search_terms(text: str) -> tuple[str, ...]:
    """The plain words of `text`, lower-cased, without duplicates, at most `MAX_QUERY_TERMS`.

    Query syntax cannot survive this: `"a" AND b*` gives `("a", "and", "b")`.
    """
    words = dict.fromkeys(word.casefold() for word in _WORD.findall(text))
    return tuple(words)[:MAX_QUERY_TERMS]


def metadata_filter(value: object) -> dict[str, Any]:
    """A checked copy of a `metadata_filter` argument: a mapping of str keys to JSON values."""
    if not isinstance(value, Mapping):
        raise ValueError(f"metadata_filter must be a mapping of metadata keys to values, got {type(value).__name__}")
    return _json_object(cast("Mapping[object, object]", value), "metadata_filter")


def message_text(message: LLMMessage) -> str:
    """The words of a chat message: its text, the text parts of a multimodal message, tool calls and results."""
    if isinstance(message, FunctionExecutionResultMessage):
        return "\n".join(result.content for result in message.content)
    content = message.content
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for part in content:
        if isinstance(part, str):
            parts.append(part)
        elif isinstance(part, FunctionCall):
            parts.append(f"{part.name} {part.arguments}")
        else:
            assert isinstance(part, Image)  # what remains of a UserMessage's parts
    return "\n".join(parts)


def conversation_message(messages: list[LLMMessage]) -> LLMMessage | None:
    """The latest message of the conversation: system messages (instructions, other memories) are skipped."""
    for message in reversed(messages):
        if isinstance(message, UserMessage | AssistantMessage | FunctionExecutionResultMessage):
            return message
    return None


def context_text(contents: list[MemoryContent]) -> str:
    """The system message text for memories: numbered like `ListMemory` does, most relevant first."""
    lines = [f"{number}. {_display(memory.content)}" for number, memory in enumerate(contents, start=1)]
    return "\nRelevant memory content (most relevant first):\n" + "\n".join(lines) + "\n"


def _display(content: object) -> str:
    # ListMemory writes str(content); a JSON document is written as JSON, which models read better than a repr.
    return json.dumps(content, ensure_ascii=False) if isinstance(content, dict) else str(content)


def _supported_mime_type(value: MemoryMimeType | str) -> MemoryMimeType:
    try:
        mime_type = MemoryMimeType(value)
    except ValueError:
        mime_type = None
    if mime_type not in SUPPORTED_MIME_TYPES:
        shown = value.value if isinstance(value, MemoryMimeType) else value
        raise ValueError(f"mime type {shown!r} is not supported: use {_SUPPORTED_TEXT}")
    assert mime_type is not None
    return mime_type


def _check_text(text: str, max_bytes: int) -> None:
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise ValueError(f"memory content is not valid Unicode text: {exc.reason} at position {exc.start}") from None
    if size > max_bytes:
        raise ValueError(f"memory content is {size} bytes; the limit is {max_bytes} bytes (max_content_bytes)")
    if "\x00" in text:
        raise ValueError("memory content contains a NUL character (U+0000), which databases store inconsistently")


def _checked_metadata(metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    if metadata is None:
        return {}
    checked = _json_object(cast("Mapping[object, object]", metadata), "metadata")
    if SCORE_KEY in checked:
        raise ValueError(f"metadata key {SCORE_KEY!r} is reserved: query results put the relevance score there")
    return checked


def _json_object(value: Mapping[object, object], what: str) -> dict[str, Any]:
    """A deep copy of `value` through JSON, so the caller's object is never shared or changed."""
    keys = [key for key in value if not isinstance(key, str)]
    if keys:
        raise ValueError(f"{what} keys must be str, got {keys[0]!r}")
    decoded: dict[str, Any] = json.loads(_json_text(value, what))
    return decoded


def _json_text(value: object, what: str) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be JSON-compatible: {exc}") from None
