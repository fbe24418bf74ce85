"""The vendor-specific module: how AutoGen messages and options map to the server's HTTP API, and back.

This implementation speaks the OpenAI-compatible Chat Completions format (``POST {base_url}/chat/completions``),
which OpenAI, vLLM, llama.cpp's server, LM Studio, Ollama's ``/v1``, LiteLLM and many hosted vendors expose.
If your vendor's API differs, rewrite this module and nothing else: the AutoGen side (component config,
capability checks, cancellation, retries, events, usage, token estimates) lives in the other modules and only
calls the names below. Keep their signatures:

- ``chat_completions_url(base_url)`` and ``request_headers(api_key, extra)``: where and how to send;
- ``build_request(...)``: the JSON body for one call; ``encode_request(payload)``: its bytes;
- ``parse_reply(body)``: a non-streamed response body -> ``Reply``;
- ``StreamParser``: fed the ``data`` of each server-sent event, returns text deltas, then ``finish()`` -> ``Reply``;
- ``error_message(body)``: the server's explanation inside an HTTP error body.

Raise ``ModelAPIResponseError`` for a body that cannot be read; never return a half-parsed reply.
The tests in ``tests/models`` drive this module through a scripted OpenAI-compatible server
(``tests/models/scripted_server.py``): change that server's rendering along with this module.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from autogen_core import FunctionCall, Image
from autogen_core.models import (
    AssistantMessage,
    FinishReasons,
    LLMMessage,
    RequestUsage,
    SystemMessage,
    UserMessage,
)
from autogen_core.tools import ToolSchema
from pydantic import BaseModel

from ._errors import ModelAPIResponseError

ToolChoice = Literal["auto", "required", "none"] | ToolSchema
"""``"auto"``, ``"required"``, ``"none"``, or the schema of the one tool the model must call."""

_FINISH_REASONS: dict[str, FinishReasons] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "function_calls",
    "function_call": "function_calls",  # the pre-tools OpenAI name, still sent by some servers
    "content_filter": "content_filter",
    "end_turn": "stop",  # Anthropic-style servers behind an OpenAI-compatible proxy
    "max_tokens": "length",
}
# Where servers put reasoning text: DeepSeek, vLLM and llama.cpp use reasoning_content; OpenRouter and
# Ollama use reasoning.
_REASONING_KEYS = ("reasoning_content", "reasoning")
# Keys build_request owns; letting extra_create_args replace them would desynchronise request and parsing.
RESERVED_KEYS = frozenset({"messages", "stream", "tools", "tool_choice"})


@dataclass
class Reply:
    """One model reply, already translated to AutoGen's vocabulary."""

    content: str | list[FunctionCall]
    """The text, or the tool calls the model asked for."""
    thought: str | None
    """Reasoning text and/or the text the model wrote beside its tool calls."""
    finish_reason: FinishReasons
    usage: RequestUsage | None
    """Token counts reported by the server, or ``None`` when it reported none."""
    raw: dict[str, Any] = field(default_factory=dict[str, Any])
    """The decoded response (the last stream event for streams), for event logs."""


def chat_completions_url(base_url: str) -> str:
    """The endpoint for ``base_url``, which ends in the API version (e.g. ``https://api.example.com/v1``)."""
    return base_url.rstrip("/") + "/chat/completions"


def request_headers(api_key: str | None, extra: Mapping[str, str]) -> dict[str, str]:
    """Headers for every request: ``extra`` first, so it cannot remove authentication by accident."""
    headers = {**extra, "Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    return headers


def _text_parts(content: Sequence[str | Image]) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for part in content:
        if isinstance(part, Image):
            parts.append({"type": "image_url", "image_url": {"url": part.data_uri}})
        else:
            parts.append({"type": "text", "text": part})
    return parts


def to_wire_messages(messages: Sequence[LLMMessage], *, merge_system_messages: bool) -> list[dict[str, Any]]:
    """AutoGen messages -> OpenAI chat messages.

    A ``FunctionExecutionResultMessage`` becomes one ``tool`` message per result, keyed by its call id, as
    the API requires. With ``merge_system_messages``, consecutive system messages become one, because many
    chat templates accept a single system message only.
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
                wire.append({"role": "user", "content": _text_parts(message.content)})
        elif isinstance(message, AssistantMessage):
            if isinstance(message.content, str):
                wire.append({"role": "assistant", "content": message.content})
            else:
                entry: dict[str, Any] = {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": call.id,
                            "type": "function",
                            "function": {"name": call.name, "arguments": call.arguments},
                        }
                        for call in message.content
                    ],
                }
                if message.thought:
                    entry["content"] = message.thought  # the text the model wrote beside its calls
                wire.append(entry)
        else:
            wire.extend(
                {"role": "tool", "tool_call_id": result.call_id, "content": result.content}
                for result in message.content
            )
    return wire


def to_wire_tool(schema: ToolSchema) -> dict[str, Any]:
    """An AutoGen tool schema -> an OpenAI function spec, keeping ``strict`` when the tool asks for it."""
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
    with a default therefore becomes required (its ``default`` no longer applies and is dropped).
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
    """``json_output=True`` -> JSON mode; a pydantic model -> strict JSON-schema structured output."""
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


def build_request(
    *,
    model: str,
    messages: Sequence[LLMMessage],
    tools: Sequence[ToolSchema],
    tool_choice: ToolChoice,
    json_output: bool | type[BaseModel] | None,
    options: Mapping[str, Any],
    stream: bool,
    merge_system_messages: bool,
) -> dict[str, Any]:
    """The JSON body of one chat completion request.

    ``options`` holds sampling settings and extra vendor arguments (``temperature``, ``max_tokens``, ...), already
    merged by the client; they go to the top level of the body, after ``model`` so they may override it.
    """
    payload: dict[str, Any] = {"model": model, **options}
    payload["messages"] = to_wire_messages(messages, merge_system_messages=merge_system_messages)
    if tools:
        payload["tools"] = [to_wire_tool(tool) for tool in tools]
        if isinstance(tool_choice, str):
            payload["tool_choice"] = tool_choice
        else:
            payload["tool_choice"] = {"type": "function", "function": {"name": tool_choice["name"]}}
    if json_output is not None:
        fmt = response_format(json_output)
        if fmt is not None:
            payload["response_format"] = fmt
    if stream:
        payload["stream"] = True
        # Without this, OpenAI-compatible servers report no token usage for streamed replies.
        payload.setdefault("stream_options", {"include_usage": True})
    return payload


def encode_request(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def map_finish_reason(value: Any, *, has_tool_calls: bool) -> FinishReasons:
    """Server finish reason -> AutoGen's literal; anything unrecognised becomes ``"unknown"``."""
    reason = _FINISH_REASONS.get(value, "unknown") if isinstance(value, str) else "unknown"
    # Several servers (vLLM, Ollama) report "stop" for a tool-call reply; AutoGen expects function_calls.
    if has_tool_calls and reason in ("stop", "unknown"):
        return "function_calls"
    return reason


def _usage(value: Any) -> RequestUsage | None:
    if not isinstance(value, dict):
        return None
    usage = cast(dict[str, Any], value)
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    if isinstance(prompt, int) and isinstance(completion, int):
        return RequestUsage(prompt_tokens=prompt, completion_tokens=completion)
    return None


def _call_id(value: Any) -> str:
    # Some local servers send empty or missing ids; AutoGen matches tool results to calls by id.
    return value if isinstance(value, str) and value else f"call_{uuid.uuid4().hex[:24]}"


def _arguments(value: Any) -> str:
    # AutoGen wants the arguments as a JSON string; a few servers send a JSON object instead.
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


def _join_thought(*parts: str | None) -> str | None:
    present = [part for part in parts if part]
    return "\n\n".join(present) if present else None


def _server_error(body: Mapping[str, Any]) -> str | None:
    error = body.get("error")
    if error is None:
        return None
    if isinstance(error, dict):
        details = cast(dict[str, Any], error)
        message = details.get("message")
        return str(message if message is not None else details)
    return str(error)


def error_message(body: bytes) -> str | None:
    """The server's explanation inside an error body: ``{"error": {"message": ...}}`` or plain text."""
    try:
        decoded = json.loads(body)
    except ValueError:
        text = body.decode(errors="replace").strip()
        return text[:500] or None
    if isinstance(decoded, dict):
        mapping = cast(dict[str, Any], decoded)
        message = _server_error(mapping)
        if message is None and "message" in mapping:
            message = str(mapping["message"])
        return message[:500] if message is not None else json.dumps(decoded)[:500]
    return json.dumps(decoded)[:500]


def _unreadable(what: str, body: bytes | str) -> ModelAPIResponseError:
    excerpt = body[:200]
    return ModelAPIResponseError(f"model server returned {what}: {excerpt!r}")


def _json_object(raw: bytes | str, not_json: str, not_object: str) -> dict[str, Any]:
    """Decode ``raw`` as a JSON object; otherwise raise, describing it as ``not_json`` or ``not_object``."""
    try:
        decoded = json.loads(raw)
    except ValueError as exc:
        raise _unreadable(not_json, raw) from exc
    if not isinstance(decoded, dict):
        raise _unreadable(not_object, raw)
    return cast(dict[str, Any], decoded)


def parse_reply(body: bytes) -> Reply:
    """A non-streamed response body -> ``Reply``.

    Raises:
        ModelAPIResponseError: the body is not JSON or not a chat completion.
    """
    completion = _json_object(body, "a body that is not JSON", "JSON that is not a chat completion")
    server_error = _server_error(completion)
    if server_error is not None:  # some proxies report failures with HTTP 200
        raise ModelAPIResponseError(f"model server reported an error: {server_error}", server_message=server_error)
    choices = completion.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise _unreadable("a completion without choices", body)
    choice = cast(dict[str, Any], choices[0])
    message = choice.get("message")
    if not isinstance(message, dict):
        raise _unreadable("a choice without a message", body)
    message = cast(dict[str, Any], message)
    text = _text(message.get("content"))
    reasoning = _reasoning(message)
    content: str | list[FunctionCall] = text
    thought = reasoning
    tool_calls = message.get("tool_calls")
    if isinstance(tool_calls, list) and tool_calls:
        try:
            content = [
                FunctionCall(
                    id=_call_id(call.get("id")),
                    name=str(call["function"]["name"]),
                    arguments=_arguments(call["function"].get("arguments")),
                )
                for call in cast(list[dict[str, Any]], tool_calls)
            ]
        except (KeyError, TypeError, AttributeError) as exc:
            raise _unreadable("a malformed tool call", body) from exc
        thought = _join_thought(reasoning, text)
    return Reply(
        content=content,
        thought=thought,
        finish_reason=map_finish_reason(choice.get("finish_reason"), has_tool_calls=isinstance(content, list)),
        usage=_usage(completion.get("usage")),
        raw=completion,
    )


class _PartialCall:
    __slots__ = ("arguments", "id", "name")

    def __init__(self) -> None:
        self.id = ""
        self.name = ""
        self.arguments: list[str] = []


class StreamParser:
    """Assembles a streamed reply from the ``data`` of each server-sent event.

    ``feed()`` returns the text to show the user now (``""`` if the event carried none). Tool calls arrive as
    fragments keyed by ``index`` (parallel calls interleave) and are assembled into whole calls by ``finish()``.

    Example:

        .. code-block:: python

            parser = StreamParser()
            for data in ['{"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":"stop"}]}', "[DONE]"]:
                print(parser.feed(data), end="")
            reply = parser.finish()
    """

    def __init__(self) -> None:
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._calls: dict[int, _PartialCall] = {}
        self._finish_reason: Any = None
        self._usage: RequestUsage | None = None
        self._last: dict[str, Any] = {}
        self.done = False
        """Whether the server sent its end-of-stream marker (``data: [DONE]``)."""

    def feed(self, data: str) -> str:
        """Take one event; return its text delta.

        Raises:
            ModelAPIResponseError: the event is not JSON, or the server reports an error mid-stream.
        """
        if data == "[DONE]":
            self.done = True
            return ""
        event = _json_object(
            data, "a stream event that is not JSON", "a stream event that is not a chat completion chunk"
        )
        self._last = event
        server_error = _server_error(event)
        if server_error is not None:
            raise ModelAPIResponseError(
                f"model server reported an error mid-stream: {server_error}", server_message=server_error
            )
        usage = event.get("usage")
        if usage is not None:
            self._usage = _usage(usage) or self._usage
        choices = event.get("choices")
        if not choices or not isinstance(choices, list) or not isinstance(choices[0], dict):
            return ""  # e.g. the final usage-only chunk
        choice = cast(dict[str, Any], choices[0])
        if choice.get("finish_reason") is not None:
            self._finish_reason = choice["finish_reason"]
        delta = choice.get("delta")
        if not isinstance(delta, dict):
            return ""
        delta = cast(dict[str, Any], delta)
        reasoning = _reasoning(delta)
        if reasoning:
            self._reasoning.append(reasoning)
        fragments = delta.get("tool_calls")
        if fragments:
            self._add_tool_call_fragments(fragments, data)
        text = delta.get("content")
        if isinstance(text, str) and text:
            self._text.append(text)
            return text
        return ""

    def _add_tool_call_fragments(self, fragments: Any, data: str) -> None:
        if not isinstance(fragments, list):
            raise _unreadable("malformed tool-call fragments", data)
        for position, fragment in enumerate(cast(list[object], fragments)):
            if not isinstance(fragment, dict):
                raise _unreadable("a malformed tool-call fragment", data)
            fragment = cast(dict[str, Any], fragment)
            index = fragment.get("index", position)
            call = self._calls.get(index)
            if call is None:
                call = self._calls[index] = _PartialCall()
            if fragment.get("id"):
                call.id = str(fragment["id"])  # sent whole; some servers repeat it on every fragment
            function = fragment.get("function")
            if isinstance(function, dict):
                function = cast(dict[str, Any], function)
                if function.get("name"):
                    call.name += str(function["name"])
                arguments = function.get("arguments")
                if arguments is not None:
                    call.arguments.append(_arguments(arguments))

    def finish(self) -> Reply:
        """The whole reply, once the stream has ended.

        Raises:
            ModelAPIResponseError: the stream ended without a finish reason or end marker (it was cut short).
        """
        if not self.done and self._finish_reason is None:
            raise ModelAPIResponseError(
                "model server ended the stream before the reply was complete (no finish_reason and no [DONE])"
            )
        text = "".join(self._text)
        reasoning = "".join(self._reasoning) or None
        content: str | list[FunctionCall] = text
        thought = reasoning
        if self._calls:
            content = [
                FunctionCall(id=_call_id(call.id), name=call.name, arguments="".join(call.arguments) or "{}")
                for _, call in sorted(self._calls.items())
            ]
            thought = _join_thought(reasoning, text)
        return Reply(
            content=content,
            thought=thought,
            finish_reason=map_finish_reason(self._finish_reason, has_tool_calls=bool(self._calls)),
            usage=self._usage,
            raw=self._last,
        )
