"""Between a front's content and the store's records: checked records, plain query words, the memories' text.

Nothing here knows an agent framework. A front (`_autogen_records.py` for AutoGen) unpacks its framework's
content into a mime type, a value and metadata; this module refuses bad input before a store sees it, so a
refused `add` writes nothing and every store gets the same clean records, whichever front added them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, cast

from ._store_api import MemoryRecord, ScoredRecord

TEXT_MIME_TYPE = "text/plain"
JSON_MIME_TYPE = "application/json"
MIME_TYPES = (TEXT_MIME_TYPE, "text/markdown", JSON_MIME_TYPE)
"""The mime types a record may have: text, Markdown and JSON documents (images and bytes have no words)."""

SCORE_KEY = "score"
"""The metadata key of a query result that holds its relevance score (reserved: refused in added metadata)."""

ROLE_KEY = "role"
"""The metadata key of a stored turn's message (`store_turns`): who wrote it, `"user"` or `"assistant"`."""

MAX_QUERY_TERMS = 32
"""Distinct words of a query that are searched: the first ones. A long message still costs a bounded search."""

# A word is a run of letters and digits, in any script: what SQLite's unicode61 tokenizer and PostgreSQL's
# parser also treat as word characters. Everything else (quotes, *, ^, :, parentheses, -) is a separator.
_WORD = re.compile(r"[^\W_]+")
_SUPPORTED_TEXT = ", ".join(MIME_TYPES)


def supported_mime_type(value: object) -> str:
    """`value` if it is one of `MIME_TYPES`, or `ValueError` naming the ones that are."""
    if not isinstance(value, str) or value not in MIME_TYPES:
        raise ValueError(f"mime type {value!r} is not supported: use {_SUPPORTED_TEXT}")
    return value


def new_record(
    mime_type: object, content: object, metadata: Mapping[str, Any] | None, *, max_bytes: int
) -> MemoryRecord:
    """A store record, or `ValueError` saying what is wrong with the content.

    Args:
        mime_type: One of `MIME_TYPES`.
        content: A dict for `application/json`, a str otherwise.
        metadata: JSON-compatible, with str keys and without `SCORE_KEY`; copied, never kept.
        max_bytes: The largest text accepted, in bytes of UTF-8 (a JSON document as JSON text).
    """
    checked = supported_mime_type(mime_type)
    if checked == JSON_MIME_TYPE:
        if not isinstance(content, dict):
            raise ValueError(f"application/json content must be a dict, got {type(content).__name__}")
        text = _json_text(cast("dict[str, Any]", content), "JSON content")
    else:
        if not isinstance(content, str):
            raise ValueError(f"{checked} content must be a str, got {type(content).__name__}")
        text = content
    _check_text(text, max_bytes)
    return MemoryRecord(mime_type=checked, text=text, metadata=_checked_metadata(metadata))


def turn_record(role: str, text: str, *, max_bytes: int) -> MemoryRecord | None:
    """A plain-text record of one message of a turn, with `role` under `ROLE_KEY`, or `None` if it has no words.

    Unlike `new_record` it never refuses: a turn is stored after the model answered, when refusing would fail
    the agent's run. NUL characters are dropped, characters that are not valid Unicode become `?`, and text
    over `max_bytes` keeps its first `max_bytes` bytes (whole characters).
    """
    encoded = text.replace("\x00", "").encode("utf-8", "replace")
    kept = encoded[:max_bytes].decode("utf-8", "ignore")
    if not search_terms(kept):
        return None
    return new_record(TEXT_MIME_TYPE, kept, {ROLE_KEY: role}, max_bytes=max_bytes)


def stored_content(record: MemoryRecord) -> str | dict[str, Any]:
    """The content as it was added: the text, or the JSON document decoded from its text."""
    if record.mime_type == JSON_MIME_TYPE:
        document: dict[str, Any] = json.loads(record.text)
        return document
    return record.text


def scored_metadata(hit: ScoredRecord) -> dict[str, Any]:
    """The metadata a query returns for `hit`: the record's, with its score under `SCORE_KEY`."""
    return {**hit.record.metadata, SCORE_KEY: hit.score}


def searchable_text(mime_type: object, content: object) -> str:
    """The text to search for in content used as a query: the text itself, or a JSON document as JSON text."""
    checked = supported_mime_type(mime_type)
    if checked == JSON_MIME_TYPE and isinstance(content, dict):
        return _json_text(cast("dict[str, Any]", content), "JSON query")
    if isinstance(content, str):
        return content
    raise ValueError(f"cannot search for {checked} content of type {type(content).__name__}")


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


def context_text(contents: Sequence[object]) -> str:
    """The text that shows the model these memories' contents: numbered like `ListMemory` does, most relevant first."""
    lines = [f"{number}. {_display(content)}" for number, content in enumerate(contents, start=1)]
    return "\nRelevant memory content (most relevant first):\n" + "\n".join(lines) + "\n"


def _display(content: object) -> str:
    # ListMemory writes str(content); a JSON document is written as JSON, which models read better than a repr.
    return json.dumps(content, ensure_ascii=False) if isinstance(content, dict) else str(content)


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
