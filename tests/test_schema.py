"""Layer 1: the answers API. Released question names and stored choice values never change."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hooks import schema


def test_copier_yml_keeps_every_released_question_and_value() -> None:
    assert schema.problems() == []


def test_lock_records_every_question() -> None:
    assert schema.merged() == schema.locked(), "new questions or values: run `uv run python -m hooks.schema --write`"


@pytest.fixture
def lock() -> dict[str, dict[str, Any]]:
    return copy.deepcopy(schema.locked())


def test_gate_catches_a_removed_question(lock: dict[str, dict[str, Any]]) -> None:
    now = copy.deepcopy(lock)
    del now["license"]
    assert any("'license' was removed" in p for p in schema.problems(now, lock, {}))


def test_gate_catches_a_changed_stored_value(lock: dict[str, dict[str, Any]]) -> None:
    now = copy.deepcopy(lock)
    now["license"]["choices"] = ["MIT License", "Apache-2.0", "BSD-3-Clause", "Proprietary"]
    assert any("['MIT']" in p for p in schema.problems(now, lock, {}))


def test_gate_catches_a_changed_type(lock: dict[str, dict[str, Any]]) -> None:
    now = copy.deepcopy(lock)
    now["docs"]["type"] = "str"
    assert any("'docs' changed type" in p for p in schema.problems(now, lock, {}))


def test_gate_accepts_a_rename_with_a_computed_default(lock: dict[str, dict[str, Any]]) -> None:
    now = copy.deepcopy(lock)
    now["spdx_license"] = now.pop("license")
    lock["license"]["retired_by"] = "spdx_license"
    mapped = {"spdx_license": "{{ license if license is defined else 'MIT' }}"}
    assert schema.problems(now, lock, mapped) == []
    assert schema.problems(now, lock, {"spdx_license": "MIT"}) != [], "a default ignoring the old answer loses it"


def test_gate_accepts_new_choices_and_questions(lock: dict[str, dict[str, Any]]) -> None:
    now = copy.deepcopy(lock)
    now["license"]["choices"].append("MPL-2.0")
    now["new_flag"] = {"type": "bool", "multiselect": False, "choices": None, "when": None}
    assert schema.problems(now, lock, {}) == []
