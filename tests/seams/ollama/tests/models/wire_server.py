"""The scripted server's wire format: Ollama's native chat API, as this package's `_wire_format.py` speaks it.

The vendor-specific half of the test server (the contract is in `scenario.py`): `Renderer` reads requests to
`POST /api/chat` back into `SentRequest` objects and renders scripted replies as one JSON object or as
newline-delimited JSON, the way Ollama does: text piece by piece, each tool call whole, then a last object
with `done: true`, `done_reason` and the token counts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Literal, cast

from tests.loopback import Request
from tests.models.scenario import (
    ErrorReply,
    Frame,
    Reply,
    SentMessage,
    SentRequest,
    SentTool,
    SentToolCall,
    ToolCall,
    finish_reason,
    pieces,
)

CHAT_PATH = "/api/chat"
_STRUCTURAL_FIELDS = frozenset({"model", "messages", "stream", "tools", "format", "options"})
# Ollama reports a tool-call reply as "stop"; it has no word for a content filter.
_DONE_REASONS = {"function_calls": "stop"}


class Renderer:
    """Speaks Ollama's `/api/chat`."""

    base_path = ""
    stream_content_type = "application/x-ndjson"
    stream_keepalive = b"\n"
    finish_reasons = frozenset({"stop", "length", "function_calls", "unknown"})

    # ---- requests --------------------------------------------------------------------------------------------

    def read(self, request: Request) -> SentRequest | None:
        if request.method != "POST" or request.path != CHAT_PATH:
            return None
        body = request.json()
        if not isinstance(body, dict):
            raise ValueError("the body is not a JSON object")
        body = cast(dict[str, Any], body)
        options = cast(dict[str, Any], body.get("options") or {})
        tools = [_read_tool(tool) for tool in cast(list[dict[str, Any]], body.get("tools") or [])]
        settings = {key: value for key, value in options.items() if key != "num_predict"}
        settings.update({key: value for key, value in body.items() if key not in _STRUCTURAL_FIELDS})
        authorization = request.headers.get("authorization", "")
        return SentRequest(
            model=body["model"],
            messages=[_read_message(message) for message in body["messages"]],
            tools=tools,
            tool_choice="auto" if tools else None,  # Ollama has no tool_choice: offered tools may be called
            output=_read_output(body.get("format")),
            settings=settings,
            max_output_tokens=options.get("num_predict"),
            stream=body.get("stream", True) is True,  # Ollama streams unless told not to
            api_key=authorization.removeprefix("Bearer ") if authorization.startswith("Bearer ") else None,
            http=request,
            raw=body,
        )

    def check(self, sent: SentRequest) -> ErrorReply | None:
        return None

    # ---- replies ---------------------------------------------------------------------------------------------

    def _line(self, sent: SentRequest, message: Mapping[str, Any], **fields: Any) -> bytes:
        created = datetime.now(timezone.utc).isoformat()
        event = {"model": sent.model, "created_at": created, "message": {"role": "assistant", **message}, **fields}
        return json.dumps(event).encode() + b"\n"

    def _final(self, reply: Reply) -> dict[str, Any]:
        fields: dict[str, Any] = {"done": True, "total_duration": 1000, "eval_duration": 500}
        reason = finish_reason(reply)
        if reason is not None:
            fields["done_reason"] = _DONE_REASONS.get(reason, reason)
        if reply.usage is not None:
            fields["prompt_eval_count"], fields["eval_count"] = reply.usage
        return fields

    def render_reply(self, reply: Reply, sent: SentRequest) -> bytes:
        message: dict[str, Any] = {"content": reply.text or ""}
        if reply.reasoning:
            message["thinking"] = reply.reasoning
        if reply.tool_calls:
            message["tool_calls"] = [_call(call, index) for index, call in enumerate(reply.tool_calls)]
        return self._line(sent, message, **self._final(reply)).rstrip(b"\n")

    def render_stream(self, reply: Reply, sent: SentRequest) -> list[Frame]:
        size = reply.chunk_size
        frames = [
            self._line(sent, {"content": "", "thinking": piece}, done=False) for piece in pieces(reply.reasoning, size)
        ]
        result = [Frame(frame) for frame in frames]
        result += [Frame(self._line(sent, {"content": piece}, done=False), 1) for piece in pieces(reply.text, size)]
        result += [
            Frame(self._line(sent, {"content": "", "tool_calls": [_call(call, index)]}, done=False))
            for index, call in enumerate(reply.tool_calls)
        ]
        if not reply.truncated:
            result.append(Frame(self._line(sent, {"content": ""}, **self._final(reply))))
        return result

    def render_error(self, error: ErrorReply) -> bytes:
        return json.dumps({"error": error.message}).encode()

    def render_broken(self, error: str | None) -> bytes:
        if error is None:
            return b'{"message": {"content": \n'
        return json.dumps({"error": error}).encode() + b"\n"


def _call(call: ToolCall, index: int) -> dict[str, Any]:
    rendered: dict[str, Any] = {"function": {"index": index, "name": call.name, "arguments": call.arguments_object()}}
    if call.id:  # older Ollama servers send no ids at all
        rendered["id"] = call.id
    return rendered


def _read_tool(tool: Mapping[str, Any]) -> SentTool:
    function = tool["function"]
    return SentTool(
        name=function["name"], description=function.get("description"), parameters=function.get("parameters")
    )


def _read_output(fmt: Any) -> Literal["text", "json"] | dict[str, Any]:
    if fmt == "json":
        return "json"
    if isinstance(fmt, dict):
        return cast(dict[str, Any], fmt)
    return "text"


def _read_message(message: Mapping[str, Any]) -> SentMessage:
    calls = [
        SentToolCall(call["function"]["name"], call["function"].get("arguments"), call.get("id"))
        for call in cast(list[dict[str, Any]], message.get("tool_calls") or [])
    ]
    return SentMessage(
        role=message["role"],
        text=message.get("content") or "",
        images=list(message.get("images") or []),
        tool_calls=calls,
        call_id=message.get("tool_call_id"),
    )
