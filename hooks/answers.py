"""The answer schema, read from ``copier.yml``: one source of truth for tests, docs and the matrix.

- ``questions()``: every question copier may ask, in file order (computed ``when: false`` values excluded).
- ``AnswerModel``: a pydantic model with one optional field per question and ``extra="forbid"``, so an
  answer key that is not a question fails loudly instead of being silently ignored by copier.
- ``answer_space()``: every combination of the choice, bool and multiselect questions; a new question of
  those kinds joins the matrix without touching the tests.
- ``asked()``: whether copier asks a question after given answers (its ``when``), so the matrix and the tests
  know which answers copier stores.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Optional

import jinja2
import yaml
from pydantic import BaseModel, ConfigDict, create_model

COPIER_YML = Path(__file__).resolve().parent.parent / "copier.yml"


@dataclass(frozen=True)
class Question:
    name: str
    type: str
    help: str
    default: Any
    choices: tuple[str, ...] | None  # stored values, not labels
    multiselect: bool
    when: str | bool | None
    validator: str | None

    @property
    def enumerable(self) -> bool:
        """Has a finite answer set (choice, multiselect or bool)."""
        return self.choices is not None or self.type == "bool"

    @property
    def values(self) -> list[Any]:
        """Every possible answer of an enumerable question."""
        if self.type == "bool":
            return [True, False]
        assert self.choices is not None
        if self.multiselect:
            subsets = itertools.chain.from_iterable(
                itertools.combinations(self.choices, size) for size in range(1, len(self.choices) + 1)
            )
            return [list(subset) for subset in subsets]
        return list(self.choices)


def _stored_values(choices: Any) -> tuple[str, ...] | None:
    if choices is None:
        return None
    if isinstance(choices, Mapping):
        return tuple(str(value) for value in choices.values())
    return tuple(str(value) for value in choices)


@functools.cache
def raw_config() -> dict[str, Any]:
    return yaml.safe_load(COPIER_YML.read_text(encoding="utf-8"))


@functools.cache
def all_questions() -> tuple[Question, ...]:
    """Every question entry in copier.yml, computed (``when: false``) ones included."""
    found: list[Question] = []
    for name, spec in raw_config().items():
        if name.startswith("_"):
            continue
        found.append(
            Question(
                name=name,
                type=spec.get("type", "str"),
                help=spec.get("help", ""),
                default=spec.get("default"),
                choices=_stored_values(spec.get("choices")),
                multiselect=bool(spec.get("multiselect", False)),
                when=spec.get("when"),
                validator=spec.get("validator"),
            )
        )
    return tuple(found)


def supported_pythons() -> tuple[str, ...]:
    """Every Python a generated package may support, oldest first: ``python_min``'s choices."""
    return tuple(raw_config()["python_min"]["choices"])


def questions() -> tuple[Question, ...]:
    """Questions a user can be asked (computed values excluded)."""
    return tuple(q for q in all_questions() if q.when is not False)


def asked(question: Question, answers: Mapping[str, Any]) -> bool:
    """Whether copier asks ``question`` after ``answers`` (its ``when``, rendered as copier renders it)."""
    if question.when is None or isinstance(question.when, bool):
        return question.when is not False
    rendered = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(question.when).render(**answers)
    # copier's reading of a rendered `when` (copier._tools.cast_to_bool): numbers by value, YAML's false words.
    text = rendered.strip().lower()
    try:
        return float(text) != 0
    except ValueError:
        return text not in ("", "n", "no", "f", "false", "off", "~", "null", "none")


def _field_type(question: Question) -> Any:
    if question.type == "bool":
        return bool
    if question.choices is not None:
        literal = Literal[question.choices]  # type: ignore[valid-type]
        return list[literal] if question.multiselect else literal  # type: ignore[valid-type]
    return str


@functools.cache
def answer_model() -> type[BaseModel]:
    """A pydantic model of the answers: unknown keys and impossible choice values are errors."""
    fields: dict[str, Any] = {q.name: (Optional[_field_type(q)], None) for q in questions()}  # noqa: UP045
    return create_model("Answers", __config__=ConfigDict(extra="forbid"), **fields)


def check_answer_keys(answers: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` when an answer names no question or takes a value no choice allows."""
    unknown = sorted(set(answers) - {q.name for q in questions()})
    if unknown:
        raise ValueError(f"answer keys that are not questions in copier.yml: {', '.join(unknown)}")
    answer_model().model_validate(dict(answers))


def answer_space() -> Iterator[dict[str, Any]]:
    """Every combination of the enumerable questions (free-text questions keep their defaults)."""
    enumerable = [q for q in questions() if q.enumerable]
    for combination in itertools.product(*(q.values for q in enumerable)):
        yield {q.name: value for q, value in zip(enumerable, combination, strict=True)}
