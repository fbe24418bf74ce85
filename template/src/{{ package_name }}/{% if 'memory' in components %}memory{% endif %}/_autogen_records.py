"""Between AutoGen's types and the store's: `MemoryContent` to records and back, the text of chat messages.

The checks themselves are framework-free (`_records.py`): this module only unpacks and packs AutoGen's types.
"""

from __future__ import annotations

from autogen_core import FunctionCall, Image
from autogen_core.memory import MemoryContent, MemoryMimeType
from autogen_core.models import AssistantMessage, FunctionExecutionResultMessage, LLMMessage, UserMessage

from ._records import MIME_TYPES, new_record, scored_metadata, searchable_text, stored_content
from ._store_api import MemoryRecord, ScoredRecord

SUPPORTED_MIME_TYPES: tuple[MemoryMimeType, ...] = tuple(MemoryMimeType(mime_type) for mime_type in MIME_TYPES)
"""What the memory stores and searches: text, Markdown and JSON documents (images and bytes have no words)."""


def to_record(content: MemoryContent, *, max_bytes: int) -> MemoryRecord:
    """A store record for `content`, or `ValueError` saying what is wrong with it."""
    return new_record(_mime_type(content.mime_type), content.content, content.metadata, max_bytes=max_bytes)


def to_content(hit: ScoredRecord) -> MemoryContent:
    """The `MemoryContent` a query returns for `hit`: the stored content, its metadata and its score."""
    mime_type = MemoryMimeType(hit.record.mime_type)
    return MemoryContent(content=stored_content(hit.record), mime_type=mime_type, metadata=scored_metadata(hit))


def query_text(query: str | MemoryContent) -> str:
    """The text to search for: the string, or the text of a text, Markdown or JSON `MemoryContent`."""
    if isinstance(query, str):
        return query
    return searchable_text(_mime_type(query.mime_type), query.content)


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


def _mime_type(value: MemoryMimeType | str) -> object:
    # MemoryContent allows the enum or any string; the framework-free checks compare the string.
    return value.value if isinstance(value, MemoryMimeType) else value
