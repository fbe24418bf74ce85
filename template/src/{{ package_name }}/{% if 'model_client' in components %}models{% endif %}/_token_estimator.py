"""Offline token estimates for `count_tokens` and `remaining_tokens`.

A real tokenizer would need vocabulary files (tiktoken downloads its BPE files on first use, which fails
offline and differs per vendor anyway). These estimates follow the shape of BPE tokenizers instead: a token
per ~4 characters of a word, one per punctuation mark, one per CJK character, plus the per-message framing
that chat templates add. They lean high on purpose, because `TokenLimitedChatCompletionContext` uses them
to decide what still fits in the context window, and overflowing the window costs a failed request.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence

from ._chat_types import (
    AssistantMessage,
    ChatMessage,
    ImagePart,
    SystemMessage,
    ToolResultMessage,
    ToolSpec,
    UserMessage,
)

# CJK (and kana, hangul) characters are about one token each; other scripts split into words and marks.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_PIECES = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+|[^\w\s]")

CHARS_PER_TOKEN = 4
"""Characters per token inside a word: the usual figure for English text with BPE vocabularies."""
MESSAGE_OVERHEAD = 4
"""Role markers and separators a chat template adds around each message."""
REPLY_PRIMING = 3
"""Tokens that start the assistant's reply."""
TOOL_OVERHEAD = 8
"""Framing a server adds around each function definition."""


def estimate_text_tokens(text: str) -> int:
    """Estimated tokens of plain text.

    Example:
        ```python
        assert estimate_text_tokens("") == 0
        assert estimate_text_tokens("Hello, world!") >= 4
        ```
    """
    tokens = 0
    for piece in _PIECES.findall(text):
        tokens += math.ceil(len(piece) / CHARS_PER_TOKEN) if len(piece) > 1 else 1
    return tokens


UNKNOWN_IMAGE_SIZE = (2048, 768)
"""What an image of unknown size is taken to be: the largest the tile scheme bills (eight tiles)."""


def estimate_image_tokens(image: ImagePart) -> int:
    """Tokens of an image at `detail="auto"` under the common 512-pixel tile scheme (85 + 170 per tile)."""
    if image.width is None or image.height is None:
        width, height = UNKNOWN_IMAGE_SIZE
    else:
        width, height = image.width, image.height
    if max(width, height) > 2048:  # first fit within 2048 x 2048 ...
        scale = 2048 / max(width, height)
        width, height = int(width * scale), int(height * scale)
    if min(width, height) > 768:  # ... then shrink the short side to 768
        scale = 768 / min(width, height)
        width, height = int(width * scale), int(height * scale)
    tiles = math.ceil(width / 512) * math.ceil(height / 512)
    return 85 + 170 * tiles


def estimate_tool_tokens(tools: Sequence[ToolSpec]) -> int:
    """Tokens the tool definitions add to the prompt: their JSON, as the server sees it, plus framing."""
    return sum(TOOL_OVERHEAD + estimate_text_tokens(json.dumps(tool, sort_keys=True)) for tool in tools)


def estimate_message_tokens(message: ChatMessage) -> int:
    """Tokens of one message, framing included."""
    tokens = MESSAGE_OVERHEAD
    if isinstance(message, SystemMessage):
        tokens += estimate_text_tokens(message.content)
    elif isinstance(message, UserMessage):
        parts = [message.content] if isinstance(message.content, str) else message.content
        for part in parts:
            tokens += estimate_image_tokens(part) if isinstance(part, ImagePart) else estimate_text_tokens(part)
    elif isinstance(message, AssistantMessage):
        if isinstance(message.content, str):
            tokens += estimate_text_tokens(message.content)
        else:
            for call in message.content:
                tokens += MESSAGE_OVERHEAD + estimate_text_tokens(call.name) + estimate_text_tokens(call.arguments)
            if message.thought:
                tokens += estimate_text_tokens(message.thought)
    elif isinstance(message, ToolResultMessage):  # pyright: ignore[reportUnnecessaryIsInstance]
        # Each result is sent as its own tool message.
        tokens = sum(MESSAGE_OVERHEAD + estimate_text_tokens(result.content) for result in message.content)
    return tokens


def estimate_prompt_tokens(messages: Sequence[ChatMessage], tools: Sequence[ToolSpec] = ()) -> int:
    """Estimated prompt tokens of a request with these messages and tools."""
    if not messages and not tools:
        return 0
    return REPLY_PRIMING + sum(estimate_message_tokens(m) for m in messages) + estimate_tool_tokens(tools)
