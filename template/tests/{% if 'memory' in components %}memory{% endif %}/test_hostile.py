"""Hostile input: queries full of search syntax or SQL, and content the memory must refuse without a trace.

Every query (`HOSTILE_QUERIES`, in `samples.py`) is searched as its plain words; `test_sqlite.py` shows
that SQLite's FTS5 rejects most of them when they are passed through as query syntax. Refused content raises
a `ValueError` that says what is wrong and leaves the store exactly as it was. Like `test_memory.py`, these
tests name no store.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from autogen_core.memory import MemoryContent, MemoryMimeType

from .autogen_helpers import FullTextMemory, MakeMemory, text
from .samples import BICYCLE, HOSTILE_QUERIES, PIZZA


@pytest.mark.parametrize(("hostile", "plain"), HOSTILE_QUERIES, ids=[repr(q) for q, _ in HOSTILE_QUERIES])
@pytest.mark.asyncio
async def test_query_syntax_is_searched_as_plain_words(make_memory: MakeMemory, hostile: str, plain: str) -> None:
    memory = make_memory()
    await memory.add_many([text(PIZZA), text(BICYCLE)])
    found = [result.content for result in (await memory.query(hostile)).results]
    assert found == [result.content for result in (await memory.query(plain)).results]
    if "pizza" in plain.split():
        assert PIZZA in found
    # The memory is intact afterwards: nothing was executed.
    assert {str(result.content) for result in (await memory.query("pizza bicycle")).results} == {PIZZA, BICYCLE}


@pytest.mark.asyncio
async def test_a_prefix_star_is_not_a_prefix_search(make_memory: MakeMemory) -> None:
    memory = make_memory()
    await memory.add(text(PIZZA))
    assert (await memory.query("pizz*")).results == []


@pytest.mark.asyncio
async def test_a_huge_query_is_searched_by_its_first_words(make_memory: MakeMemory) -> None:
    memory = make_memory()
    await memory.add(text(PIZZA))
    query = "pizza " + " ".join(f"word{n}" for n in range(20_000))
    assert [result.content for result in (await memory.query(query)).results] == [PIZZA]


@pytest.mark.asyncio
async def test_a_query_may_be_memory_content(make_memory: MakeMemory) -> None:
    memory = make_memory()
    await memory.add_many([text(PIZZA), text(BICYCLE)])
    as_json = MemoryContent(content={"food": "pizza"}, mime_type=MemoryMimeType.JSON)
    as_markdown = MemoryContent(content="**bicycle**", mime_type=MemoryMimeType.MARKDOWN)
    assert [r.content for r in (await memory.query(as_json)).results] == [PIZZA]
    assert [r.content for r in (await memory.query(as_markdown)).results] == [BICYCLE]
    with pytest.raises(ValueError, match="image"):
        await memory.query(MemoryContent(content=b"\x89PNG", mime_type=MemoryMimeType.IMAGE))


# ---- content the memory refuses ----

LARGE = 1000


def unvalidated(**fields: Any) -> MemoryContent:
    """Content pydantic would refuse in MemoryContent(...), but that model_construct() lets through."""
    return MemoryContent.model_construct(**fields)


REFUSED: list[tuple[str, MemoryContent, str]] = [
    ("oversized", text("é" * (LARGE // 2 + 1)), f"{LARGE + 2} bytes; the limit is {LARGE} bytes"),
    ("image", MemoryContent(content=b"\x89PNG", mime_type=MemoryMimeType.IMAGE), "'image/\\*' is not"),
    ("binary", MemoryContent(content=b"\x00\x01", mime_type=MemoryMimeType.BINARY), "octet-stream' is not"),
    ("html", MemoryContent(content="<p>pizza</p>", mime_type="text/html"), "'text/html' is not supported"),
    ("text-as-bytes", MemoryContent(content=b"pizza", mime_type=MemoryMimeType.TEXT), "must be a str, got bytes"),
    ("json-as-text", MemoryContent(content="{}", mime_type=MemoryMimeType.JSON), "must be a dict, got str"),
    ("json-not-json", MemoryContent(content={"a": {1, 2}}, mime_type=MemoryMimeType.JSON), "JSON-compatible"),
    ("json-nan", MemoryContent(content={"a": math.nan}, mime_type=MemoryMimeType.JSON), "JSON-compatible"),
    ("nul", text("pizza\x00pasta"), "NUL character"),
    ("lone-surrogate", unvalidated(content="pizza \ud800", mime_type="text/plain"), "not valid Unicode"),
    ("metadata-key", unvalidated(content="p", mime_type="text/plain", metadata={1: "a"}), "keys must be str"),
    ("metadata-value", text("pizza", when=object()), "metadata must be JSON-compatible"),
    ("metadata-score", text("pizza", score=1.0), "'score' is reserved"),
]


@pytest.mark.parametrize(("content", "complaint"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
@pytest.mark.asyncio
async def test_bad_content_is_refused_and_nothing_is_written(
    make_memory: MakeMemory, content: MemoryContent, complaint: str
) -> None:
    memory = make_memory(max_content_bytes=LARGE)
    await memory.add(text("kept pizza"))
    with pytest.raises(ValueError, match=complaint):
        await memory.add(content)
    with pytest.raises(ValueError, match=complaint):
        await memory.add_many([text("lost pizza"), content, text("lost pizza too")])
    assert [result.content for result in (await memory.query("pizza")).results] == ["kept pizza"]


@pytest.mark.asyncio
async def test_adding_neither_keeps_nor_changes_the_callers_metadata(make_memory: MakeMemory) -> None:
    memory = make_memory()
    metadata: dict[str, Any] = {"tags": ["food"]}
    content = MemoryContent(content=PIZZA, mime_type=MemoryMimeType.TEXT, metadata=metadata)
    await memory.add(content)
    assert content.metadata == {"tags": ["food"]}  # not given a mime type or an id, as some memories do
    metadata["tags"].append("changed later")
    (result,) = (await memory.query("pizza")).results
    assert (result.metadata or {})["tags"] == ["food"]


@pytest.mark.parametrize(
    ("options", "error", "complaint"),
    [
        ({"limit": 3}, TypeError, "unknown keyword arguments \\['limit'\\]"),
        ({"k": 0}, ValueError, "k must be a positive int"),
        ({"k": True}, ValueError, "k must be a positive int"),
        ({"k": "3"}, ValueError, "k must be a positive int"),
        ({"score_threshold": "high"}, ValueError, "score_threshold must be a number"),
        ({"metadata_filter": [("user", "alice")]}, ValueError, "metadata_filter must be a mapping"),
        ({"metadata_filter": {1: "alice"}}, ValueError, "metadata_filter keys must be str"),
        ({"metadata_filter": {"when": object()}}, ValueError, "metadata_filter must be JSON-compatible"),
    ],
)
@pytest.mark.asyncio
async def test_bad_query_options_are_refused(
    make_memory: MakeMemory, options: dict[str, Any], error: type[Exception], complaint: str
) -> None:
    memory = make_memory()
    with pytest.raises(error, match=complaint):
        await memory.query("pizza", **options)


@pytest.mark.parametrize(
    ("settings", "complaint"),
    [
        ({"k": 0}, "k"),
        ({"max_content_bytes": 0}, "max_content_bytes"),
        ({"score_threshold": -1.0}, "score_threshold"),
        ({"score_threshold": math.inf}, "score_threshold"),
        ({"path": ""}, "path"),
    ],
)
def test_bad_settings_are_refused(settings: dict[str, Any], complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        FullTextMemory(**settings)
