"""The wire format: Ollama's native chat API, the one vendor-specific module of the model client.

It implements the contract stated in `_wire_contract.py` (this module replaces the generated OpenAI one; the
worked example of docs/components/model-client.md walks through it).

Requests: `POST {base_url}/api/chat`, where `base_url` is the server root (e.g. `http://localhost:11434`),
with `Authorization: Bearer <api key>` when there is a key (Ollama's cloud and most proxies in front of a
local server want one). The JSON body holds `model`, `messages` (images as base64 in `images`, the text
beside tool calls in `content`, tool calls with `id` and `arguments` as an object, one `tool` message per
result with `tool_name` and `tool_call_id`), `stream` (always sent: Ollama streams by default), `tools` (not
sent for `tool_choice="none"`; Ollama cannot force a tool call, so `"required"` and one named tool are
refused), `format` (`"json"`, or the JSON schema of the pydantic class) and `options` (sampling settings:
`temperature`, `top_p`, `seed`, `stop` under their names, `max_completion_tokens` or else `max_tokens` as
`num_predict`, and every other extra argument, except the request-level `keep_alive`, `think`, `logprobs`,
`top_logprobs` and `model`).

Replies: `message.content`, `message.thinking` (the reasoning, as thought), `message.tool_calls` (arguments
as an object; `id` only from newer servers, so missing ids are filled in), `done_reason` (`stop`, `length`;
`stop` with tool calls means function calls) and the token counts `prompt_eval_count` (left out when the
prompt was cached: 0) and `eval_count`. Streams: newline-delimited JSON, one such object per line, text in
each `message.content`, tool calls whole, the last object with `done: true`. Errors: `{"error": "..."}`, as a
body with an HTTP error status, with HTTP 200, or as a line mid-stream. No retry hint beyond HTTP's own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, cast

from ._chat_types import (
    AssistantMessage,
    ChatMessage,
    FinishReason,
    ImagePart,
    SystemMessage,
    ToolCall,
    Usage,
    UserMessage,
)
from ._errors import ModelAPIResponseError
from ._wire_contract import (
    ChatRequest,
    Reply,
    ToolChoiceKind,
    WireRequest,
    cut_short,
    decode_object,
    join_thought,
    new_call_id,
    unreadable,
)

RESERVED_KEYS = frozenset({"messages", "stream", "tools"})
TOOL_CHOICES: frozenset[ToolChoiceKind] = frozenset({"auto", "none"})

_REQUEST_FIELDS = frozenset({"model", "keep_alive", "think", "logprobs", "top_logprobs"})
"""Extra arguments that belong at the top of the body; every other one is a model option."""
_FINISH_REASONS: dict[str, FinishReason] = {"stop": "stop", "length": "length"}


def build_request(
    request: ChatRequest, *, base_url: str, api_key: str | None, headers: Mapping[str, str]
) -> WireRequest:
    """The HTTP request for one call (see the module docstring for its shape).

    Raises:
        ValueError: `json_output` is given together with `extra_create_args["format"]`.
    """
    if request.json_output is not None and "format" in request.options:
        raise ValueError("pass either json_output or extra_create_args['format'], not both")
    messages = to_wire_messages(request.messages, merge_system_messages=request.merge_system_messages)
    payload: dict[str, Any] = {"model": request.model, "messages": messages, "stream": request.stream}
    options: dict[str, Any] = {}
    for key, value in request.options.items():
        if key in _REQUEST_FIELDS or key == "format":
            payload[key] = value
        elif key == "options" and isinstance(value, dict):
            options.update(cast(dict[str, Any], value))
        elif key not in ("max_tokens", "max_completion_tokens"):
            options[key] = value
    limit = request.options.get("max_completion_tokens", request.options.get("max_tokens"))
    if limit is not None:
        options["num_predict"] = limit
    if options:
        payload["options"] = options
    tools: list[dict[str, Any]] = []
    if request.tools and request.tool_choice != "none":
        tools = [
            {
                "type": "function",
                "function": {
                    "name": tool["name"],
                    "description": tool.get("description", ""),
                    "parameters": tool.get("parameters", {"type": "object", "properties": {}}),
                },
            }
            for tool in request.tools
        ]
        payload["tools"] = tools
    if request.json_output is True:
        payload["format"] = "json"
    elif isinstance(request.json_output, type):
        payload["format"] = request.json_output.model_json_schema()
    sent_headers = {**headers, "Content-Type": "application/json", "Accept": "application/json, application/x-ndjson"}
    if api_key:
        sent_headers["Authorization"] = f"Bearer {api_key}"
    return WireRequest(
        url=base_url.rstrip("/") + "/api/chat",
        headers=sent_headers,
        body=json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode(),
        log_messages=messages,
        log_tools=tools,
    )


def _arguments_object(arguments: str) -> Any:
    # Ollama wants an object; a model that wrote something else gets an empty one back rather than a failure.
    try:
        value = json.loads(arguments)
    except ValueError:
        return {}
    return cast(dict[str, Any], value) if isinstance(value, dict) else {}


def _user_message(content: str | Sequence[str | ImagePart]) -> dict[str, Any]:
    if isinstance(content, str):
        return {"role": "user", "content": content}
    texts = [part for part in content if isinstance(part, str)]
    images = [part.base64 for part in content if isinstance(part, ImagePart)]
    message: dict[str, Any] = {"role": "user", "content": "\n".join(texts)}
    if images:
        message["images"] = images
    return message


def to_wire_messages(messages: Sequence[ChatMessage], *, merge_system_messages: bool) -> list[dict[str, Any]]:
    """The conversation -> Ollama chat messages."""
    wire: list[dict[str, Any]] = []
    for message in messages:
        if isinstance(message, SystemMessage):
            if merge_system_messages and wire and wire[-1]["role"] == "system":
                wire[-1]["content"] += "\n" + message.content
            else:
                wire.append({"role": "system", "content": message.content})
        elif isinstance(message, UserMessage):
            wire.append(_user_message(message.content))
        elif isinstance(message, AssistantMessage):
            if isinstance(message.content, str):
                wire.append({"role": "assistant", "content": message.content})
            else:
                calls = [
                    {"id": call.id, "function": {"name": call.name, "arguments": _arguments_object(call.arguments)}}
                    for call in message.content
                ]
                wire.append({"role": "assistant", "content": message.thought or "", "tool_calls": calls})
        else:
            wire.extend(
                {"role": "tool", "content": result.content, "tool_name": result.name, "tool_call_id": result.call_id}
                for result in message.content
            )
    return wire


def _reported_error(body: Mapping[str, Any]) -> str | None:
    error = body.get("error")
    return None if error is None else str(error)


def error_message(body: bytes) -> str | None:
    """The server's explanation inside an error body: `{"error": "..."}`, or the text itself."""
    try:
        decoded = json.loads(body)
    except ValueError:
        return body.decode(errors="replace").strip()[:500] or None
    message = _reported_error(cast(dict[str, Any], decoded)) if isinstance(decoded, dict) else None
    return (message if message is not None else json.dumps(decoded))[:500]


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Ollama sends no retry hint of its own."""
    return None


def _finish(value: Any, *, has_tool_calls: bool) -> FinishReason:
    reason = _FINISH_REASONS.get(value, "unknown") if isinstance(value, str) else "unknown"
    if has_tool_calls and reason in ("stop", "unknown"):
        return "function_calls"
    return reason


def _usage(body: Mapping[str, Any]) -> Usage | None:
    completion = body.get("eval_count")
    if not isinstance(completion, int):
        return None
    prompt = body.get("prompt_eval_count", 0)  # left out when the whole prompt came from the cache
    return Usage(prompt_tokens=prompt if isinstance(prompt, int) else 0, completion_tokens=completion)


def _tool_calls(message: Mapping[str, Any], raw: bytes | str) -> list[ToolCall]:
    calls = message.get("tool_calls")
    if not calls:
        return []
    try:
        return [
            ToolCall(
                id=call.get("id") or new_call_id(),
                name=str(call["function"]["name"]),
                arguments=json.dumps(call["function"].get("arguments") or {}),
            )
            for call in cast(list[dict[str, Any]], calls)
        ]
    except (KeyError, TypeError, AttributeError) as exc:
        raise unreadable("a malformed tool call", raw) from exc


def _reply(text: str, thinking: str | None, calls: list[ToolCall], last: dict[str, Any]) -> Reply:
    return Reply(
        content=calls if calls else text,
        thought=join_thought(thinking, text) if calls else thinking,
        finish_reason=_finish(last.get("done_reason"), has_tool_calls=bool(calls)),
        usage=_usage(last),
        raw=last,
    )


def parse_reply(body: bytes) -> Reply:
    """A non-streamed response body -> `Reply`.

    Raises:
        ModelAPIResponseError: the body is not JSON, not a chat response, or reports an error.
    """
    response = decode_object(body, "a chat response")
    server_error = _reported_error(response)
    if server_error is not None:
        raise ModelAPIResponseError(f"model server reported an error: {server_error}", server_message=server_error)
    message = response.get("message")
    if not isinstance(message, dict):
        raise unreadable("a response without a message", body)
    message = cast(dict[str, Any], message)
    content = message.get("content")
    thinking = message.get("thinking")
    return _reply(
        content if isinstance(content, str) else "",
        thinking if isinstance(thinking, str) and thinking else None,
        _tool_calls(message, body),
        response,
    )


class NDJSONStreamDecoder:
    """Assembles a streamed reply from newline-delimited JSON objects (any split of the bytes)."""

    def __init__(self) -> None:
        self._buffer = b""
        self._text: list[str] = []
        self._thinking: list[str] = []
        self._calls: list[ToolCall] = []
        self._last: dict[str, Any] = {}
        self._done = False

    def feed(self, chunk: bytes) -> list[str]:
        """Take the next bytes of the body; return the text deltas of the lines they complete."""
        *lines, self._buffer = (self._buffer + chunk).split(b"\n")
        return [text for text in map(self._line, lines) if text]

    def end(self) -> list[str]:
        """The body has ended: the text of a last line without its newline."""
        line, self._buffer = self._buffer, b""
        text = self._line(line)
        return [text] if text else []

    def _line(self, line: bytes) -> str:
        if not line.strip():
            return ""  # blank lines carry nothing (a keep-alive)
        event = decode_object(line, "a chat response line")
        server_error = _reported_error(event)
        if server_error is not None:
            raise ModelAPIResponseError(
                f"model server reported an error mid-stream: {server_error}", server_message=server_error
            )
        self._last = event
        if event.get("done") is True:
            self._done = True
        message = event.get("message")
        if not isinstance(message, dict):
            return ""
        message = cast(dict[str, Any], message)
        thinking = message.get("thinking")
        if isinstance(thinking, str) and thinking:
            self._thinking.append(thinking)
        self._calls += _tool_calls(message, line)
        content = message.get("content")
        if isinstance(content, str) and content:
            self._text.append(content)
            return content
        return ""

    def finish(self) -> Reply:
        """The whole reply, once the stream has ended.

        Raises:
            ModelAPIResponseError: the stream ended without its `done: true` line (it was cut short).
        """
        if not self._done:
            raise cut_short('no line with "done": true')
        return _reply("".join(self._text), "".join(self._thinking) or None, self._calls, self._last)


def stream_decoder() -> NDJSONStreamDecoder:
    """A decoder for one streamed response."""
    return NDJSONStreamDecoder()
