"""The scripted server's wire format: OpenAI-compatible Chat Completions, as `_wire_format.py` speaks it.

The vendor-specific half of the test server (the contract is in `scenario.py`): `Renderer` reads requests to
`POST /v1/chat/completions` back into `SentRequest` objects and renders scripted replies as completions or
server-sent-event streams. A `Dialect` makes it behave like a particular OpenAI-compatible server, quirks
included, so `test_wire_format.py` can prove the client copes with what real servers send. Rewrite this
module together with `_wire_format.py` when targeting another API.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
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

CHAT_COMPLETIONS_PATH = "/v1/chat/completions"
# The request fields that are not sampling settings or extra arguments.
_STRUCTURAL_FIELDS = frozenset(
    {"model", "messages", "tools", "tool_choice", "response_format", "stream", "stream_options"}
)
_TOKEN_LIMITS = ("max_completion_tokens", "max_tokens")  # in order of precedence
_FINISH_WORDS = {"function_calls": "tool_calls"}  # AutoGen's word -> the API's (the others are the same)


@dataclass(frozen=True)
class Dialect:
    """How one OpenAI-compatible server shapes its replies, beyond what the specification says."""

    name: str = "OpenAI"
    role_chunk: bool = True
    """Streams start with a chunk carrying only `role` (and empty `content`)."""
    repeat_call_header: bool = False
    """Every tool-call fragment repeats `id`, `type` and `function.name` (llama-cpp-python; LiteLLM repeats `id`)."""
    null_continuations: bool = False
    """Continuation fragments send `id`, `type` and `name` as `null` (SGLang)."""
    empty_name_continuations: bool = False
    """Continuation fragments send `"name": ""` and `"id": ""` (LM Studio)."""
    call_index: bool = True
    """Tool-call fragments carry `index` (Gemini's endpoint and older Ollama `/v1` omit it)."""
    one_index: bool = False
    """Every tool call arrives whole at index 0, told apart only by its id (Groq)."""
    whole_calls: bool = False
    """Each tool call arrives in one fragment, arguments complete (Ollama `/v1`, Groq)."""
    call_type: bool = True
    """Tool calls carry `"type": "function"`."""
    object_arguments: bool = False
    """Tool-call arguments are a JSON object, not a string."""
    usage_every_chunk: bool = False
    """Every chunk carries the cumulative usage so far (vLLM's `continuous_usage_stats`)."""
    usage_in_finish_chunk: bool = False
    """Usage comes on the chunk with the finish reason, not in a chunk of its own (llama.cpp's server)."""
    finish_without_delta: bool = False
    """The chunk with the finish reason has no `delta` at all."""
    prompt_filter_chunk: bool = False
    """Streams start with a chunk with empty `choices` and `prompt_filter_results` (Azure OpenAI)."""
    filter_after_finish: bool = False
    """Content-filter results follow the finish, in chunks with a `null` finish reason and no delta (Azure)."""
    done_marker: bool = True
    """Streams end with `data: [DONE]`."""
    reasoning_field: str = "reasoning_content"
    """Where reasoning goes: `reasoning_content` (DeepSeek, vLLM, llama.cpp) or `reasoning` (OpenRouter, Ollama)."""
    extra_choice: bool = False
    """A second choice (`index` 1) comes too, interleaved with the first (a server ignoring `n`)."""
    requires_assistant_content: bool = False
    """Refuse an assistant tool-call message without `content` (HTTP 500) or with `null` (HTTP 400), as
    llama-cpp-python's server does."""
    error_shape: Literal["openai", "vllm", "fastapi"] = "openai"
    """Error bodies: `{"error": {"message": ...}}`, `{"object": "error", "message": ...}` or `{"detail": ...}`."""


OPENAI = Dialect()
LLAMA_CPP_PYTHON = Dialect(
    "llama-cpp-python", repeat_call_header=True, requires_assistant_content=True, error_shape="fastapi"
)
DIALECTS = [
    OPENAI,
    LLAMA_CPP_PYTHON,
    Dialect("llama.cpp server", usage_in_finish_chunk=True),
    Dialect("vLLM", usage_every_chunk=True, error_shape="vllm"),
    Dialect("LiteLLM", repeat_call_header=True),
    Dialect("Azure OpenAI", prompt_filter_chunk=True, filter_after_finish=True),
    Dialect("Ollama /v1", whole_calls=True, reasoning_field="reasoning"),
    Dialect("older Ollama /v1", whole_calls=True, call_index=False),
    Dialect("LM Studio", empty_name_continuations=True),
    Dialect("SGLang", null_continuations=True),
    Dialect("Gemini", call_index=False),
    Dialect("Groq", whole_calls=True, one_index=True),
    Dialect("two choices", extra_choice=True),
    Dialect(
        "bare",
        role_chunk=False,
        call_type=False,
        object_arguments=True,
        finish_without_delta=True,
        done_marker=False,
    ),
]
"""Every dialect `test_wire_format.py` runs its scenarios against."""


class Renderer:
    """Speaks OpenAI-compatible Chat Completions at `/v1/chat/completions`, in the given dialect."""

    base_path = "/v1"
    stream_content_type = "text/event-stream"
    stream_keepalive = b": keep-alive\n\n"
    finish_reasons = frozenset({"stop", "length", "function_calls", "content_filter", "unknown"})

    def __init__(self, dialect: Dialect = OPENAI) -> None:
        self.dialect = dialect
        self._completions = itertools.count(1)

    # ---- requests --------------------------------------------------------------------------------------------

    def read(self, request: Request) -> SentRequest | None:
        if request.method != "POST" or request.path != CHAT_COMPLETIONS_PATH:
            return None
        body = request.json()
        if not isinstance(body, dict):
            raise ValueError("the body is not a JSON object")
        body = cast(dict[str, Any], body)
        tools = [_read_tool(tool) for tool in cast(list[dict[str, Any]], body.get("tools") or [])]
        choice = body.get("tool_choice", "auto")
        limits = [body[name] for name in _TOKEN_LIMITS if body.get(name) is not None]
        authorization = request.headers.get("authorization", "")
        return SentRequest(
            model=body["model"],
            messages=[_read_message(message) for message in body["messages"]],
            tools=tools,
            tool_choice=(choice if isinstance(choice, str) else choice["function"]["name"]) if tools else None,
            output=_read_output(body.get("response_format")),
            settings={
                key: value for key, value in body.items() if key not in _STRUCTURAL_FIELDS and key not in _TOKEN_LIMITS
            },
            max_output_tokens=limits[0] if limits else None,
            stream=body.get("stream") is True,
            api_key=authorization.removeprefix("Bearer ") if authorization.startswith("Bearer ") else None,
            http=request,
            raw=body,
        )

    def check(self, sent: SentRequest) -> ErrorReply | None:
        if not self.dialect.requires_assistant_content:
            return None
        for message in sent.raw["messages"]:
            if message["role"] == "assistant" and message.get("tool_calls"):
                if "content" not in message:  # what llama-cpp-python's chat template does with it
                    return ErrorReply(500, "'dict object' has no attribute 'content'")
                if message["content"] is None:
                    return ErrorReply(400, "messages: assistant content: Input should be a valid string")
        return None

    # ---- replies ---------------------------------------------------------------------------------------------

    def _head(self, sent: SentRequest, kind: str) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-{next(self._completions)}",
            "object": kind,
            "created": int(time.time()),
            "model": sent.model,
        }

    def _call(self, call: ToolCall) -> dict[str, Any]:
        arguments: Any = call.arguments_object() if self.dialect.object_arguments else call.arguments_json()
        rendered: dict[str, Any] = {"id": call.id, "function": {"name": call.name, "arguments": arguments}}
        if self.dialect.call_type:
            rendered["type"] = "function"
        return rendered

    def render_reply(self, reply: Reply, sent: SentRequest) -> bytes:
        message: dict[str, Any] = {"role": "assistant", "content": reply.text}
        if reply.reasoning is not None:
            message[self.dialect.reasoning_field] = reply.reasoning
        if reply.tool_calls:
            message["tool_calls"] = [self._call(call) for call in reply.tool_calls]
        choices = [{"index": 0, "message": message, "finish_reason": _finish(reply), "logprobs": None}]
        if self.dialect.extra_choice:
            other = {"role": "assistant", "content": "Another answer."}
            choices.append({"index": 1, "message": other, "finish_reason": "stop", "logprobs": None})
        completion = {**self._head(sent, "chat.completion"), "choices": choices}
        if reply.usage is not None:
            completion["usage"] = _usage(reply.usage)
        return json.dumps(completion).encode()

    def render_stream(self, reply: Reply, sent: SentRequest) -> list[Frame]:
        dialect = self.dialect
        head = self._head(sent, "chat.completion.chunk")
        size = reply.chunk_size
        stream_options: Any = sent.raw.get("stream_options") or {}
        wants_usage = reply.usage is not None and bool(stream_options.get("include_usage"))
        chunks: list[tuple[dict[str, Any], int]] = []  # (chunk, pieces of text it carries)

        def add(delta: dict[str, Any] | None, finish: str | None = None, *, text_pieces: int = 0) -> None:
            choice: dict[str, Any] = {"index": 0, "finish_reason": finish}
            if delta is not None:
                choice["delta"] = delta
            chunks.append(({**head, "choices": [choice]}, text_pieces))
            if dialect.extra_choice and delta is not None and delta.get("content"):
                other = {"index": 1, "delta": {"content": delta["content"].upper()}, "finish_reason": None}
                chunks.append(({**head, "choices": [other]}, 0))

        if dialect.prompt_filter_chunk:
            filters = [{"prompt_index": 0, "content_filter_results": {"hate": {"filtered": False}}}]
            chunks.append(({**head, "choices": [], "prompt_filter_results": filters}, 0))
        if dialect.role_chunk:
            add({"role": "assistant", "content": ""})
        for piece in pieces(reply.reasoning, size):
            add({dialect.reasoning_field: piece})
        for piece in pieces(reply.text, size):
            add({"content": piece}, text_pieces=1)
        for fragment in self._call_fragments(reply):
            add({"tool_calls": [fragment]})
        if not reply.truncated:
            finish = _finish(reply)
            if dialect.finish_without_delta:
                add(None, finish)
            else:
                add({}, finish)
            if wants_usage and dialect.usage_in_finish_chunk:
                chunks[-1][0]["usage"] = _usage(reply.usage)
            elif wants_usage:
                chunks.append(({**head, "choices": [], "usage": _usage(reply.usage)}, 0))
            if dialect.filter_after_finish:
                results = {"index": 0, "finish_reason": None, "content_filter_results": {"hate": {"filtered": False}}}
                chunks.append(({**head, "choices": [results]}, 0))
        if wants_usage and dialect.usage_every_chunk and reply.usage is not None:
            prompt, completion = reply.usage
            for number, (chunk, _) in enumerate(chunks, start=1):  # cumulative, reaching the total at the end
                chunk["usage"] = _usage((prompt, completion * number // len(chunks)))
        frames = [Frame(b"data: " + json.dumps(chunk).encode() + b"\n\n", count) for chunk, count in chunks]
        if dialect.done_marker and not reply.truncated:
            frames.append(Frame(b"data: [DONE]\n\n"))
        return frames

    def _call_fragments(self, reply: Reply) -> list[dict[str, Any]]:
        """The tool-call fragments of a stream, in the order the dialect sends them."""
        dialect = self.dialect
        fragments: list[dict[str, Any]] = []
        per_call: list[list[dict[str, Any]]] = []
        for index, call in enumerate(reply.tool_calls):
            header = self._call(call)
            if dialect.call_index:
                header["index"] = 0 if dialect.one_index else index
            if dialect.whole_calls:
                fragments.append(header)
                continue
            arguments = header["function"]["arguments"]
            header["function"]["arguments"] = "" if isinstance(arguments, str) else arguments
            continuations: list[dict[str, Any]] = [header]
            if isinstance(arguments, str):
                for piece in pieces(arguments, reply.chunk_size):
                    continuations.append(self._continuation(header, piece))
            per_call.append(continuations)
        if dialect.call_index:
            # Parallel calls interleave: a client must assemble them by index.
            for round_ in itertools.zip_longest(*per_call):
                fragments += [fragment for fragment in round_ if fragment is not None]
        else:
            fragments += [fragment for call in per_call for fragment in call]  # without index: one call at a time
        return fragments

    def _continuation(self, header: Mapping[str, Any], piece: str) -> dict[str, Any]:
        dialect = self.dialect
        fragment: dict[str, Any] = {"function": {"arguments": piece}}
        if "index" in header:
            fragment["index"] = header["index"]
        if dialect.repeat_call_header:
            fragment.update(id=header["id"], type="function")
            fragment["function"]["name"] = header["function"]["name"]
        elif dialect.null_continuations:
            fragment.update(id=None, type=None)
            fragment["function"]["name"] = None
        elif dialect.empty_name_continuations:
            fragment["id"] = ""
            fragment["function"]["name"] = ""
        return fragment

    def render_error(self, error: ErrorReply) -> bytes:
        shape = self.dialect.error_shape
        if shape == "vllm":
            body: dict[str, Any] = {"object": "error", "message": error.message, "type": "Error", "code": error.status}
        elif shape == "fastapi":
            body = {"detail": error.message}
        else:
            body = {"error": {"message": error.message, "type": "scripted_error", "code": error.status}}
        return json.dumps(body).encode()

    def render_broken(self, error: str | None) -> bytes:
        if error is None:
            return b'data: {"choices": [\n\n'
        return b"data: " + json.dumps({"error": {"message": error}}).encode() + b"\n\n"


def refusal_completion(refusal: str) -> bytes:
    """A non-streamed refusal, shaped as the specification says (`content: null`, `refusal: "..."`)."""
    message = {"role": "assistant", "content": None, "refusal": refusal}
    choice = {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
    return json.dumps({"id": "chatcmpl-refusal", "object": "chat.completion", "choices": [choice]}).encode()


def refusal_stream(refusal: str, chunk_size: int = 4) -> bytes:
    """A streamed refusal: a role chunk, `refusal` fragments, a finish, `[DONE]`."""
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": None, "refusal": None}]
    deltas += [{"refusal": piece} for piece in pieces(refusal, chunk_size)]
    chunks: list[dict[str, Any]] = [{"choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas]
    chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    return b"".join(b"data: " + json.dumps(chunk).encode() + b"\n\n" for chunk in chunks) + b"data: [DONE]\n\n"


def _finish(reply: Reply) -> str | None:
    reason = finish_reason(reply)
    return _FINISH_WORDS.get(reason, reason) if reason is not None else None


def _usage(usage: tuple[int, int] | None) -> dict[str, int] | None:
    if usage is None:
        return None
    prompt, completion = usage
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _read_tool(tool: Mapping[str, Any]) -> SentTool:
    function = tool["function"]
    return SentTool(
        name=function["name"], description=function.get("description"), parameters=function.get("parameters")
    )


def _read_output(response_format: Any) -> Literal["text", "json"] | dict[str, Any]:
    if not isinstance(response_format, dict):
        return "text"
    fmt = cast(dict[str, Any], response_format)
    if fmt.get("type") == "json_object":
        return "json"
    if fmt.get("type") == "json_schema":
        return cast(dict[str, Any], fmt["json_schema"]["schema"])
    return "text"


def _json_or_text(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def _read_message(message: Mapping[str, Any]) -> SentMessage:
    content = message.get("content")
    texts: list[str] = []
    images: list[str] = []
    if isinstance(content, str):
        texts.append(content)
    elif isinstance(content, list):
        for part in cast(list[dict[str, Any]], content):
            if part["type"] == "text":
                texts.append(part["text"])
            elif part["type"] == "image_url":
                images.append(part["image_url"]["url"].partition("base64,")[2])
    calls = [
        SentToolCall(call["function"]["name"], _json_or_text(call["function"]["arguments"]), call.get("id"))
        for call in cast(list[dict[str, Any]], message.get("tool_calls") or [])
    ]
    return SentMessage(
        role=message["role"],
        text="\n".join(texts),
        images=images,
        tool_calls=calls,
        call_id=message.get("tool_call_id"),
    )
