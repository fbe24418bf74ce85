"""What the client assumes about a model when the caller does not say: capabilities and context window.

The client checks each request against these capabilities before sending it, and AutoGen reads `model_info`
before every call (`AssistantAgent` checks `function_calling` and `vision`, `SelectorGroupChat` reads
`family`, `CodeExecutorAgent` indexes `structured_output`), so it must be complete. Add the models your vendor
serves to `MODEL_CATALOGUE`; a `model_info` passed to the client always wins over the catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping

from typing_extensions import Required, TypedDict


class ModelInfo(TypedDict, total=False):
    """What a model can do: the same keys (and the same dict) as AutoGen's `autogen_core.models.ModelInfo`.

    Attributes:
        vision: It accepts images.
        function_calling: It can call tools.
        json_output: It has a JSON mode.
        family: Its model family (AutoGen's `ModelFamily` names, e.g. `"unknown"`), for agents that adapt their
            prompts to it.
        structured_output: It can answer in a given JSON schema.
        multiple_system_messages: It accepts several system messages that are not consecutive; without it,
            consecutive system messages are sent as one.
    """

    vision: Required[bool]
    function_calling: Required[bool]
    json_output: Required[bool]
    family: Required[str]
    structured_output: Required[bool]
    multiple_system_messages: bool | None


REQUIRED_KEYS = ("vision", "function_calling", "json_output", "family", "structured_output")
"""Keys every `ModelInfo` must have. AutoGen only warns about a missing `structured_output`, but
`CodeExecutorAgent` fails with `KeyError` without it, so this client requires it too."""

DEFAULT_MODEL_INFO = ModelInfo(
    vision=False,
    function_calling=True,
    json_output=True,
    family="unknown",
    structured_output=True,
    multiple_system_messages=False,
)
"""For a model not in the catalogue: what a typical OpenAI-compatible server (vLLM, llama.cpp, Ollama) supports.
Images are off because sending one to a text-only model is an error on most servers."""

DEFAULT_CONTEXT_WINDOW = 32_768
"""Tokens of context assumed when neither the caller nor the catalogue gives a window."""

MODEL_CATALOGUE: Mapping[str, tuple[ModelInfo, int]] = {
    # "vendor-model-name": (ModelInfo(vision=..., function_calling=..., json_output=..., family=...,
    #                                 structured_output=..., multiple_system_messages=...), context_window),
}
"""Known models: name -> (capabilities, context window in tokens)."""


def check_model_info(model_info: ModelInfo) -> ModelInfo:
    """Raise a `ValueError` naming every missing key (AutoGen's own check names only the first)."""
    missing = [key for key in REQUIRED_KEYS if key not in model_info]
    if missing:
        raise ValueError(
            f"model_info is missing required keys {missing}; a complete example: "
            "ModelInfo(vision=False, function_calling=True, json_output=True, family=ModelFamily.UNKNOWN, "
            "structured_output=True)"
        )
    return model_info


def resolve_model_info(model: str, model_info: ModelInfo | None) -> ModelInfo:
    """The caller's `model_info` (checked), else the catalogue entry, else `DEFAULT_MODEL_INFO`."""
    if model_info is not None:
        return check_model_info(model_info.copy())  # a copy: the caller may reuse and change its dict
    known = MODEL_CATALOGUE.get(model)
    return (known[0] if known is not None else DEFAULT_MODEL_INFO).copy()


def resolve_context_window(model: str, context_window: int | None) -> int:
    """The caller's window, else the catalogue's, else `DEFAULT_CONTEXT_WINDOW`."""
    if context_window is not None:
        return context_window
    known = MODEL_CATALOGUE.get(model)
    return known[1] if known is not None else DEFAULT_CONTEXT_WINDOW
