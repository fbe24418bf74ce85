"""Documentation generated from the template's own sources, so it cannot drift from them.

``mkdocs.yml`` registers this module as a hook: the marker ``<!-- questions -->`` in a page becomes the
questions reference built from copier.yml.
"""

from __future__ import annotations

import functools
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

# mkdocs loads hooks by file path: make the repository's ``hooks`` package importable.
_REPO_ROOT = str(Path(__file__).resolve().parent.parent)
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from hooks.answers import all_questions, raw_config  # noqa: E402
from hooks.render import render, snapshot  # noqa: E402

MARKER = "<!-- questions -->"


def _cell(value: Any) -> str:
    text = str(value).replace("|", "\\|").replace("\n", " ")
    return f"`{text}`" if text else ""


def _choices(name: str) -> str:
    spec = raw_config()[name].get("choices")
    if spec is None:
        return ""
    if isinstance(spec, dict):
        return "<br>".join(f"`{value}`: {label}" for label, value in spec.items())
    return ", ".join(f"`{value}`" for value in spec)


@functools.cache
def rendered_defaults() -> dict[str, Any]:
    """The answers copier records for ``copier copy --defaults`` (derived defaults resolved)."""
    with tempfile.TemporaryDirectory() as tmp:
        project = render({}, Path(tmp) / "project", source=snapshot(Path(tmp) / "template"))
        return yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))


def _default(name: str, default: Any) -> str:
    if isinstance(default, str) and "{" in default:
        example = rendered_defaults().get(name)
        return f"derived from earlier answers (e.g. {_cell(example)})" if example is not None else "derived"
    return _cell(default)


def questions_markdown() -> str:
    """A table of every question: stored name, type, choices, when it is asked, default."""
    rows = ["| question | type | choices (stored value: label) | asked when | default |", "|---|---|---|---|---|"]
    computed = []
    for q in all_questions():
        kind = f"{q.type} (multiselect)" if q.multiselect else q.type
        if q.when is False:
            computed.append(f"| `{q.name}` | {kind} | computed, never asked or stored | | derived |")
            continue
        when = _cell(q.when) if isinstance(q.when, str) else "always"
        help_text = q.help.replace("|", "\\|")
        rows.append(
            f"| `{q.name}`<br>{help_text} | {kind} | {_choices(q.name)} | {when} | {_default(q.name, q.default)} |"
        )
    return "\n".join(rows + computed) + "\n"


def on_page_markdown(markdown: str, **_: Any) -> str:
    """mkdocs hook."""
    return markdown.replace(MARKER, questions_markdown()) if MARKER in markdown else markdown
