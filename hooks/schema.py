"""The answers API: a committed, append-only record of every released question and stored choice value.

Projects keep their answers in ``.copier-answers.yml``; copier silently replaces a stored answer that no
longer validates with the default (that is how a template once relicensed its users' projects). So a
question, once in ``schema.lock.json``, must stay in copier.yml with the same type, and every choice value
it ever stored must stay a choice. ``tests/test_schema.py`` enforces that.

A question may only leave copier.yml through a trust-free migration: its lock entry names the question
that replaces it (``"retired_by"``), and that question's default is computed from the old answer (copier
keeps previous answers in the Jinja context during ``copier update``), e.g.
``default: "{{ old_name if old_name is defined else 'x' }}"``. A lifecycle test must cover that path.

After adding questions or choice values: ``uv run python -m hooks.schema --write`` (it only ever adds).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from hooks.answers import questions

LOCK = Path(__file__).resolve().parent.parent / "schema.lock.json"


def current() -> dict[str, dict[str, Any]]:
    """The API-relevant shape of each askable question in copier.yml."""
    return {
        q.name: {
            "type": q.type,
            "multiselect": q.multiselect,
            "choices": list(q.choices) if q.choices is not None else None,
            "when": q.when if isinstance(q.when, str) else None,
        }
        for q in questions()
    }


def locked() -> dict[str, dict[str, Any]]:
    return json.loads(LOCK.read_text(encoding="utf-8"))["questions"] if LOCK.exists() else {}


def merged() -> dict[str, dict[str, Any]]:
    """The lock plus anything new in copier.yml; nothing is ever dropped."""
    result = {name: dict(entry) for name, entry in locked().items()}
    for name, entry in current().items():
        if name not in result:
            result[name] = entry
            continue
        old = result[name]
        if entry["choices"] is not None:
            old_choices = old.get("choices") or []
            old["choices"] = old_choices + [c for c in entry["choices"] if c not in old_choices]
        old["when"] = entry["when"]
    return result


def problems(
    now: dict[str, dict[str, Any]] | None = None,
    lock: dict[str, dict[str, Any]] | None = None,
    defaults: dict[str, Any] | None = None,
) -> list[str]:
    """Breaking differences between copier.yml and the lock (empty when the API is intact)."""
    found: list[str] = []
    now = current() if now is None else now
    lock = locked() if lock is None else lock
    defaults = {q.name: q.default for q in questions()} if defaults is None else defaults
    for name, old in lock.items():
        if name not in now:
            successor = old.get("retired_by")
            if not successor:
                found.append(f"question {name!r} was removed or renamed without a migration ('retired_by')")
            elif successor not in now:
                found.append(f"question {name!r} is retired by {successor!r}, which is not in copier.yml")
            else:
                if name not in str(defaults.get(successor, "")):
                    found.append(f"{successor!r} must compute its default from the retired answer {name!r}")
            continue
        new = now[name]
        if (new["type"], new["multiselect"]) != (old["type"], old["multiselect"]):
            found.append(f"question {name!r} changed type: {old['type']} -> {new['type']}")
        dropped = [c for c in (old.get("choices") or []) if c not in (new["choices"] or [])]
        if dropped:
            found.append(f"question {name!r} no longer offers stored value(s) {dropped}: stored answers would be lost")
    return found


def write() -> None:
    LOCK.write_text(json.dumps({"questions": merged()}, indent=2, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    if "--write" in sys.argv:
        write()
        print(f"wrote {LOCK}")
    else:
        print("\n".join(problems()) or "answers API intact")
