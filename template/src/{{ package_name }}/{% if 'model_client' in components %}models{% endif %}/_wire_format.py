"""The wire format: OpenAI-compatible Chat Completions, the one vendor-specific module of the model client.

This is the format OpenAI, vLLM, llama.cpp's server, llama-cpp-python, LM Studio, Ollama's `/v1`, LiteLLM,
Azure OpenAI and many hosted vendors serve. It implements the contract stated in `_wire_contract.py`; to
target an API that differs, rewrite this module (and its test-side twin, `tests/models/wire_server.py`).

Requests: `POST {base_url}/chat/completions`, where `base_url` ends in the API version (e.g.
`https://api.example.com/v1`), with `Authorization: Bearer <api key>` when there is a key. The JSON body holds
`model`, `messages` (one `tool` message per tool result, keyed by `tool_call_id`; an assistant message with
tool calls always carries `content`, `""` when the model wrote nothing beside its calls, because some servers
fail without it and refuse `null`), `tools` and `tool_choice` when tools are given, `response_format`
(`json_object`, or a strict `json_schema` built from the pydantic class), every sampling setting and extra
argument at the top level (`max_completion_tokens` and the deprecated `max_tokens` both as given), and, for
streams, `stream: true` with `stream_options: {"include_usage": true}`.

Replies: `choices[0].message` (the choice with `index` 0 when a server returns several) with `content` as a
string or as text parts, `tool_calls` (arguments as a JSON string or, from a few servers, an object; `type`
optional; missing ids filled in), `reasoning_content` or `reasoning` as thought, and `refusal`; `usage` with
`prompt_tokens` and `completion_tokens`. A refusal becomes the reply's text with finish reason
`content_filter`: a `Reply` has no refusal field (nor has AutoGen's `CreateResult`), and `content_filter` is
the finish reason for "the model declined", so an agent shows the explanation instead of an empty answer.

Streams: server-sent events (`data:` lines, multi-line data, comments and other fields ignored, CRLF or LF,
events split across reads), ending with `data: [DONE]` or at least a `finish_reason`. Each event is a chunk
whose `choices[0].delta` carries text, reasoning, refusal or tool-call fragments. What real servers do beside
the specification is tolerated: usage in every chunk (the last one counts) or in the finish chunk, chunks
with empty `choices` (Azure's content-filter results, the usage chunk), a finish reason in a chunk without a
delta, no `[DONE]`, tool-call fragments that repeat `id`, `type` and `name` (llama-cpp-python, LiteLLM),
send them as `null` or `""` (SGLang, LM Studio), omit `index` (Gemini, older Ollama), reuse one index for
several calls (Groq), or carry a whole call at once (Ollama's `/v1`). Errors: `{"error": {"message": ...}}`,
vLLM's `{"object": "error", "message": ...}`, FastAPI's `{"detail": ...}` or plain text; an error event
mid-stream, or an error body with HTTP 200, raises `ModelAPIResponseError`. Retry hint: `retry-after-ms`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, cast

from pydantic import BaseModel

from ._chat_types import (
    AssistantMessage,
    ChatMessage,
    FinishReason,
    ImagePart,
    SystemMessage,
    ToolCall,
    ToolSpec,
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

RESERVED_KEYS = frozenset({"messages", "stream", "tools", "tool_choice"})
TOOL_CHOICES: frozenset[ToolChoiceKind] = frozenset({"auto", "required", "none", "tool"})

_FINISH_REASONS: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "function_calls",
    "function_call": "function_calls",  # the pre-tools OpenAI name, still sent by some servers
    "content_filter": "content_filter",
    "end_turn": "stop",  # Anthropic-style servers behind an OpenAI-compatible proxy
    "max_tokens": "length",
}
# Where servers put reasoning text: DeepSeek, vLLM and llama.cpp use reasoning_content; OpenRouter, Ollama's
# /v1 and newer vLLM use reasoning.
_REASONING_KEYS = ("reasoning_content", "reasoning")
_ACCEPT = "application/json, text/event-stream"


# ---- requests ---------------------------------------------------------------------------------------------


def build_request(
    request: ChatRequest, *, base_url: str, api_key: str | None, headers: Mapping[str, str]
) -> WireRequest:
    """The HTTP request for one call (see the module docstring for its shape).

    Raises:
        ValueError: `json_output` is given together with `extra_create_args["response_format"]`.
    """
    options = request.options
    if request.json_output is not None and "response_format" in options:
        raise ValueError("pass either json_output or extra_create_args['response_format'], not both")
    payload: dict[str, Any] = {"model": request.model, **options}
    messages = to_wire_messages(request.messages, merge_system_messages=request.merge_system_messages)
    payload["messages"] = messages
    tools: list[dict[str, Any]] = []
    if request.tools:
        tools = [to_wire_tool(tool) for tool in request.tools]
        payload["tools"] = tools
        choice = request.tool_choice
        payload["tool_choice"] = (
            choice if isinstance(choice, str) else {"type": "function", "function": {"name": choice["name"]}}
        )
    if request.json_output is not None:
        fmt = response_format(request.json_output)
        if fmt is not None:
            payload["response_format"] = fmt
    if request.stream:
        payload["stream"] = True
        # Without this, OpenAI-compatible servers report no token usage for streamed replies.
        payload.setdefault("stream_options", {"include_usage": True})
    # Caller's headers first, so they cannot remove authentication by accident.
    sent_headers = {**headers, "Content-Type": "application/json", "Accept": _ACCEPT}
    if api_key:
        sent_headers["Authorization"] = f"Bearer {api_key}"
    return WireRequest(
        url=base_url.rstrip("/") + "/chat/completions",
        headers=sent_headers,
        body=json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode(),
        log_messages=messages,
        log_tools=tools,
    )


def _content_parts(content: Sequence[str | ImagePart]) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for part in content:
        if isinstance(part, ImagePart):
            parts.append({"type": "image_url", "image_url": {"url": part.data_uri}})
        else:
            parts.append({"type": "text", "text": part})
    return parts


def to_wire_messages(messages: Sequence[ChatMessage], *, merge_system_messages: bool) -> list[dict[str, Any]]:
    """The conversation -> chat messages.

    A `ToolResultMessage` becomes one `tool` message per result, keyed by its call id, as the API requires.
    With `merge_system_messages`, consecutive system messages become one, because many chat templates accept
    a single system message only.
    """
    wire: list[dict[str, Any]] = []
    for message in messages:
        if isinstance(message, SystemMessage):
            if merge_system_messages and wire and wire[-1]["role"] == "system":
                wire[-1]["content"] += "\n" + message.content
            else:
                wire.append({"role": "system", "content": message.content})
        elif isinstance(message, UserMessage):
            if isinstance(message.content, str):
                wire.append({"role": "user", "content": message.content})
            else:
                wire.append({"role": "user", "content": _content_parts(message.content)})
        elif isinstance(message, AssistantMessage):
            if isinstance(message.content, str):
                wire.append({"role": "assistant", "content": message.content})
            else:
                # "content" is always present: llama.cpp-based servers answer HTTP 500 without it, and some
                # validate it as a string. The text the model wrote beside its calls goes there.
                calls = [
                    {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}
                    for call in message.content
                ]
                wire.append({"role": "assistant", "content": message.thought or "", "tool_calls": calls})
        else:
            wire.extend(
                {"role": "tool", "tool_call_id": result.call_id, "content": result.content}
                for result in message.content
            )
    return wire


def to_wire_tool(schema: ToolSpec) -> dict[str, Any]:
    """A tool -> a function spec, keeping `strict` when the tool asks for it."""
    function: dict[str, Any] = {
        "name": schema["name"],
        "parameters": schema.get("parameters", {"type": "object", "properties": {}}),
    }
    if "description" in schema:
        function["description"] = schema["description"]
    if schema.get("strict"):
        function["strict"] = True
    return {"type": "function", "function": function}


def strict_json_schema(schema: Any) -> Any:
    """Make a pydantic JSON schema acceptable to strict structured output.

    Strict mode requires every object to list all its properties as required and to forbid others; a field
    with a default therefore becomes required (its `default` no longer applies and is dropped).
    """
    if isinstance(schema, list):
        return [strict_json_schema(item) for item in cast(list[object], schema)]
    if not isinstance(schema, dict):
        return schema
    result: dict[str, Any] = {
        key: strict_json_schema(value) for key, value in cast(dict[str, Any], schema).items() if key != "default"
    }
    properties = result.get("properties")
    if result.get("type") == "object" and isinstance(properties, dict):
        result["required"] = list(cast(dict[str, Any], properties))
        result["additionalProperties"] = False
    return result


def response_format(json_output: bool | type[BaseModel]) -> dict[str, Any] | None:
    """`json_output=True` -> JSON mode; a pydantic model -> strict JSON-schema structured output."""
    if json_output is True:
        return {"type": "json_object"}
    if json_output is False:
        return None  # plain text is the default; some servers reject an explicit {"type": "text"}
    return {
        "type": "json_schema",
        "json_schema": {
            "name": json_output.__name__,
            "schema": strict_json_schema(json_output.model_json_schema()),
            "strict": True,
        },
    }


# ---- replies ----------------------------------------------------------------------------------------------


def map_finish_reason(value: Any, *, has_tool_calls: bool, refused: bool = False) -> FinishReason:
    """Server finish reason -> `FinishReason`; anything unrecognised becomes `"unknown"`."""
    reason = _FINISH_REASONS.get(value, "unknown") if isinstance(value, str) else "unknown"
    if has_tool_calls:
        # Several servers (vLLM, Ollama) report "stop" for a tool-call reply; agents expect function_calls.
        return "function_calls" if reason in ("stop", "unknown") else reason
    if refused:
        return "content_filter"
    return reason


def _usage(value: Any) -> Usage | None:
    if not isinstance(value, dict):
        return None
    usage = cast(dict[str, Any], value)
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    if isinstance(prompt, int) and isinstance(completion, int):
        return Usage(prompt_tokens=prompt, completion_tokens=completion)
    return None


def _arguments(value: Any) -> str:
    # Tool calls carry their arguments as a JSON string; a few servers send a JSON object instead.
    if isinstance(value, str):
        return value
    return "{}" if value is None else json.dumps(value)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # content as parts: [{"type": "text", "text": "..."}]
        parts = cast(list[object], value)
        return "".join(str(cast(dict[str, Any], part).get("text", "")) for part in parts if isinstance(part, dict))
    return ""


def _reasoning(source: Mapping[str, Any]) -> str | None:
    for key in _REASONING_KEYS:
        value = source.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _first_choice(value: Any) -> dict[str, Any] | None:
    """The choice with index 0 (the only one a client asking for one completion should get)."""
    if not isinstance(value, list) or not value:
        return None
    choices = cast(list[object], value)
    first = choices[0]
    if isinstance(first, dict) and cast(dict[str, Any], first).get("index", 0) in (0, None):
        return cast(dict[str, Any], first)
    for choice in choices:  # several choices (n > 1, or interleaved in a stream): keep the first completion
        if isinstance(choice, dict) and cast(dict[str, Any], choice).get("index", 0) in (0, None):
            return cast(dict[str, Any], choice)
    return None


def _reported_error(body: Mapping[str, Any]) -> str | None:
    """The error a body reports instead of a reply: `{"error": ...}` or vLLM's `{"object": "error", ...}`."""
    error = body.get("error")
    if error is not None:
        if isinstance(error, dict):
            details = cast(dict[str, Any], error)
            message = details.get("message")
            return str(message if message is not None else details)
        return str(error)
    if body.get("object") == "error":
        return str(body.get("message", body))
    return None


def error_message(body: bytes) -> str | None:
    """The server's explanation inside an error body: `error.message`, `message`, `detail`, or the text itself."""
    try:
        decoded = json.loads(body)
    except ValueError:
        text = body.decode(errors="replace").strip()
        return text[:500] or None
    if not isinstance(decoded, dict):
        return json.dumps(decoded)[:500]
    mapping = cast(dict[str, Any], decoded)
    message = _reported_error(mapping)
    if message is None and "message" in mapping:
        message = str(mapping["message"])
    if message is None and "detail" in mapping:  # FastAPI servers (llama-cpp-python): a string or a list
        detail = mapping["detail"]
        if isinstance(detail, list):
            items = cast(list[object], detail)
            detail = "; ".join(
                str(cast(dict[str, Any], item).get("msg", item)) if isinstance(item, dict) else str(item)
                for item in items
            )
        message = str(detail)
    return (message if message is not None else json.dumps(mapping))[:500]


def retry_after(headers: Mapping[str, str]) -> float | None:
    """OpenAI's `retry-after-ms` header, in seconds (the standard `Retry-After` is the transport's)."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds is None:
        return None
    try:
        return max(0.0, float(milliseconds) / 1000)
    except ValueError:
        return None


def parse_reply(body: bytes) -> Reply:
    """A non-streamed response body -> `Reply`.

    Raises:
        ModelAPIResponseError: the body is not JSON, not a chat completion, or reports an error.
    """
    completion = decode_object(body, "a chat completion")
    server_error = _reported_error(completion)
    if server_error is not None:  # some proxies report failures with HTTP 200
        raise ModelAPIResponseError(f"model server reported an error: {server_error}", server_message=server_error)
    choice = _first_choice(completion.get("choices"))
    if choice is None:
        raise unreadable("a completion without choices", body)
    message = choice.get("message")
    if not isinstance(message, dict):
        raise unreadable("a choice without a message", body)
    message = cast(dict[str, Any], message)
    text = _text(message.get("content"))
    refusal = message.get("refusal")
    refused = isinstance(refusal, str) and bool(refusal)
    if refused:
        text += cast(str, refusal)
    reasoning = _reasoning(message)
    content: str | list[ToolCall] = text
    thought = reasoning
    tool_calls = message.get("tool_calls")
    if isinstance(tool_calls, list) and tool_calls:
        try:
            content = [
                ToolCall(
                    id=call.get("id") or new_call_id(),
                    name=str(call["function"]["name"]),
                    arguments=_arguments(call["function"].get("arguments")),
                )
                for call in cast(list[dict[str, Any]], tool_calls)
            ]
        except (KeyError, TypeError, AttributeError) as exc:
            raise unreadable("a malformed tool call", body) from exc
        thought = join_thought(reasoning, text)
    return Reply(
        content=content,
        thought=thought,
        finish_reason=map_finish_reason(
            choice.get("finish_reason"), has_tool_calls=isinstance(content, list), refused=refused
        ),
        usage=_usage(completion.get("usage")),
        raw=completion,
        reasoning=reasoning,
    )


# ---- streams ----------------------------------------------------------------------------------------------


class SSEFramer:
    """Splits a server-sent-event byte stream into the `data` of each event.

    A minimal decoder for https://html.spec.whatwg.org/multipage/server-sent-events.html: an event ends at a
    blank line, multi-line data is joined with newlines, comments and other fields are ignored. Bytes arrive
    in arbitrary pieces; a partial line waits for the next piece.
    """

    __slots__ = ("_buffer", "_data")

    def __init__(self) -> None:
        self._buffer = b""
        self._data: list[bytes] = []

    def feed(self, chunk: bytes) -> list[str]:
        """Take the next bytes; return the events they complete."""
        *lines, self._buffer = (self._buffer + chunk).split(b"\n")
        events: list[str] = []
        data = self._data
        for line in lines:
            if line.endswith(b"\r"):
                line = line[:-1]
            if not line:
                if data:
                    events.append(b"\n".join(data).decode())
                    data = self._data = []
            elif line.startswith(b"data:"):
                value = line[5:]
                data.append(value[1:] if value.startswith(b" ") else value)
        return events

    def flush(self) -> list[str]:
        """At the end of the body: a server may omit the blank line after its last event."""
        return self.feed(b"\n\n") if self._buffer or self._data else []


class _PartialCall:
    __slots__ = ("arguments", "id", "name")

    def __init__(self, call_id: str) -> None:
        self.id = call_id
        self.name = ""
        self.arguments: list[str] = []


class SSEStreamDecoder:
    """Assembles a streamed reply from its server-sent events.

    `feed()` returns the text to show the user now. Tool calls arrive as fragments keyed by `index` (parallel
    calls interleave) and are assembled into whole calls by `finish()`.

    Example:
        ```python
        decoder = SSEStreamDecoder()
        event = b'{"choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": "stop"}]}'
        deltas = decoder.feed(b"data: " + event + b"\\n\\n")  # ["Hi"]
        deltas += decoder.end()
        reply = decoder.finish()  # content "Hi", finish_reason "stop"
        ```
    """

    def __init__(self) -> None:
        self._framer = SSEFramer()
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._calls: list[_PartialCall] = []
        self._by_index: dict[int, _PartialCall] = {}
        self._finish_reason: Any = None
        self._refused = False
        self._usage: Usage | None = None
        self._last: dict[str, Any] = {}
        self._done = False

    def feed(self, chunk: bytes) -> list[str]:
        """Take the next bytes of the body; return the text deltas of the events they complete."""
        deltas: list[str] = []
        for data in self._framer.feed(chunk):
            text = self._event(data)
            if text:
                deltas.append(text)
        return deltas

    def end(self) -> list[str]:
        """The body has ended: the text deltas of an event the server left unterminated."""
        return [text for text in map(self._event, self._framer.flush()) if text]

    def _event(self, data: str) -> str:
        if data == "[DONE]":
            self._done = True
            return ""
        event = decode_object(data, "a chat completion chunk")
        self._last = event
        server_error = _reported_error(event)
        if server_error is not None:
            raise ModelAPIResponseError(
                f"model server reported an error mid-stream: {server_error}", server_message=server_error
            )
        usage = event.get("usage")
        if usage is not None:  # vLLM can report (cumulative) usage in every chunk: the last one counts
            self._usage = _usage(usage) or self._usage
        choice = _first_choice(event.get("choices"))
        if choice is None:
            return ""  # the usage chunk, or Azure's prompt-filter results
        if choice.get("finish_reason") is not None:
            self._finish_reason = choice["finish_reason"]
        delta = choice.get("delta")
        if not isinstance(delta, dict):
            return ""  # a finish reason alone, or Azure's content-filter results after it
        delta = cast(dict[str, Any], delta)
        reasoning = _reasoning(delta)
        if reasoning:
            self._reasoning.append(reasoning)
        fragments = delta.get("tool_calls")
        if fragments:
            self._add_tool_call_fragments(fragments, data)
        content = delta.get("content")
        text = content if isinstance(content, str) else _text(content)
        refusal = delta.get("refusal")
        if isinstance(refusal, str) and refusal:
            self._refused = True
            text += refusal
        if text:
            self._text.append(text)
        return text

    def _call_for(self, fragment: Mapping[str, Any]) -> _PartialCall:
        """The call a fragment continues, or a new one."""
        call_id = fragment.get("id") or ""
        index = fragment.get("index")
        if isinstance(index, int):
            call = self._by_index.get(index)
            # Groq sends each call whole at index 0: a different id at a known index is a new call.
            if call is not None and not (call_id and call.id and call_id != call.id):
                return call
        else:
            # No index (Gemini, older Ollama /v1): an unseen id starts a call; no id continues the last one.
            known = [call for call in self._calls if call_id and call.id == call_id]
            if known:
                return known[0]
            if not call_id and self._calls:
                return self._calls[-1]
        call = _PartialCall(call_id)
        self._calls.append(call)
        if isinstance(index, int):
            self._by_index[index] = call
        return call

    def _add_tool_call_fragments(self, fragments: Any, data: str) -> None:
        if not isinstance(fragments, list):
            raise unreadable("malformed tool-call fragments", data)
        for fragment in cast(list[object], fragments):
            if not isinstance(fragment, dict):
                raise unreadable("a malformed tool-call fragment", data)
            fragment = cast(dict[str, Any], fragment)
            call = self._call_for(fragment)
            if fragment.get("id"):
                call.id = str(fragment["id"])
            function = fragment.get("function")
            if not isinstance(function, dict):
                continue
            function = cast(dict[str, Any], function)
            name = function.get("name")
            if isinstance(name, str) and name:
                # llama-cpp-python and LiteLLM repeat the whole name in every fragment; a name that extends
                # what arrived so far replaces it, anything else is the next piece of a split name.
                call.name = name if name.startswith(call.name) else call.name + name
            arguments = function.get("arguments")
            if isinstance(arguments, str):
                call.arguments.append(arguments)
            elif arguments is not None:  # an object is a whole set of arguments, not a fragment
                call.arguments = [_arguments(arguments)]

    def finish(self) -> Reply:
        """The whole reply, once the stream has ended.

        Raises:
            ModelAPIResponseError: the stream ended without a finish reason or end marker (it was cut short).
        """
        if not self._done and self._finish_reason is None:
            raise cut_short("no finish_reason and no [DONE]")
        text = "".join(self._text)
        reasoning = "".join(self._reasoning) or None
        content: str | list[ToolCall] = text
        thought = reasoning
        if self._calls:
            content = [
                ToolCall(id=call.id or new_call_id(), name=call.name, arguments="".join(call.arguments) or "{}")
                for call in self._calls
            ]
            thought = join_thought(reasoning, text)
        return Reply(
            content=content,
            thought=thought,
            finish_reason=map_finish_reason(
                self._finish_reason, has_tool_calls=bool(self._calls), refused=self._refused
            ),
            usage=self._usage,
            raw=self._last,
            reasoning=reasoning,
        )


def stream_decoder() -> SSEStreamDecoder:
    """A decoder for one streamed response."""
    return SSEStreamDecoder()
