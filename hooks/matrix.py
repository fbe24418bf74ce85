"""The render matrix: every answer combination, the distinct packages among them, and slices of both.

A *render* is one combination of the enumerable questions (``answers.answer_space()``); every one is rendered
and checked statically. A *distinct package* is what the quality gates need to see once: renders that differ
only in licence text, docs site or CI files share one, because none of those changes what is installed,
type-checked or tested. The gates still run per distinct package on its own ``python_min`` interpreter.

Slices let CI fan the matrix out over jobs, and let anyone reproduce one job locally::

    MATRIX_SLICE=2/4 uv run pytest        # the second of four slices
    MATRIX_LANE=fast uv run pytest        # every component subset with defaults, plus each other option once
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from hooks.answers import answer_space, asked, questions, raw_config

# Questions whose answers never change what the gates install, type-check or test.
NOT_GATE_RELEVANT = frozenset({"license", "docs", "ci", "template_updates"})
# Questions whose other answers than the default are rendered with every component only. A framework adds the
# same kind of front to each component, in files of their own that do not depend on the other components, so
# the full package shows every file a framework adds (and the render test proves every render's files are the
# full package's); crossing them with each component subset would triple the matrix and the gates for
# nothing new. How template updates arrive changes only files under .github that no component shapes.
WITH_EVERY_COMPONENT_ONLY = frozenset({"frameworks", "template_updates"})


def defaults() -> dict[str, Any]:
    """Default value of each enumerable question."""
    return {q.name: q.default for q in questions() if q.enumerable}


def render_id(answers: Mapping[str, Any]) -> str:
    """A short, stable test id: ``model_client+tool-py3.10-MIT-docs-github``."""
    parts = []
    for name, value in answers.items():
        if isinstance(value, list):
            parts.append("+".join(value))
        elif isinstance(value, bool):
            parts.append(name if value else f"no-{name}")
        elif name == "python_min":
            parts.append(f"py{value}")
        else:
            parts.append(str(value))
    return "-".join(parts)


def gate_key(answers: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """What makes two renders the same package for the gates."""
    return tuple(
        (name, tuple(value) if isinstance(value, list) else value)
        for name, value in answers.items()
        if name not in NOT_GATE_RELEVANT
    )


def distinct_packages(renders: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One representative render (the first met) per distinct package."""
    seen: dict[tuple[tuple[str, Any], ...], dict[str, Any]] = {}
    for answers in renders:
        seen.setdefault(gate_key(answers), dict(answers))
    return list(seen.values())


def fast_lane() -> list[dict[str, Any]]:
    """Every component subset with defaults, plus each other option's values once."""
    base = defaults()
    chosen: list[dict[str, Any]] = []
    for q in questions():
        if not q.enumerable:
            continue
        for value in q.values:
            candidate = {**base, q.name: value}
            if candidate not in chosen:
                chosen.append(candidate)
    return chosen


def _take_slice(items: list[dict[str, Any]], spec: str) -> list[dict[str, Any]]:
    index, _, count = spec.partition("/")
    k, n = int(index), int(count)
    if not 1 <= k <= n:
        raise ValueError(f"MATRIX_SLICE must be K/N with 1 <= K <= N, got {spec!r}")
    return items[k - 1 :: n]


def lane_renders() -> list[dict[str, Any]]:
    """The renders of the lane ``MATRIX_LANE`` selects (``full``, the default, or ``fast``), unsliced."""
    lane = os.environ.get("MATRIX_LANE", "full")
    if lane not in ("full", "fast"):
        raise ValueError(f"MATRIX_LANE must be 'full' or 'fast', got {lane!r}")
    return [answers for answers in answer_space() if _worth_rendering(answers)] if lane == "full" else fast_lane()


def _worth_rendering(answers: Mapping[str, Any]) -> bool:
    """Whether a combination of the full lane is rendered (see ``WITH_EVERY_COMPONENT_ONLY``).

    A question copier would not ask (its ``when`` is false for these answers) keeps its default: another value
    would render the same files.
    """
    base = defaults()
    if any(answers[q.name] != base[q.name] for q in questions() if q.enumerable and not asked(q, answers)):
        return False
    if set(answers["components"]) == set(raw_config()["components"]["choices"].values()):
        return True
    return all(answers[name] == base[name] for name in WITH_EVERY_COMPONENT_ONLY)


def _sliced(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    spec = os.environ.get("MATRIX_SLICE")
    return _take_slice(items, spec) if spec else items


def selected_renders() -> list[dict[str, Any]]:
    """The renders this run checks statically: the lane's, then optionally one slice (variables above)."""
    return _sliced(lane_renders())


def selected_packages() -> list[dict[str, Any]]:
    """The distinct packages this run puts through the gates, sliced the same way."""
    return _sliced(distinct_packages(lane_renders()))
