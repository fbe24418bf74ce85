"""Layer 2: render every answer combination without trust and check each render statically.

The matrix comes from copier.yml (hooks/matrix.py), so a new choice, bool or multiselect question joins it
without touching this file. ``MATRIX_LANE``/``MATRIX_SLICE`` select a part of it (see hooks/matrix.py).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from hooks.matrix import render_id, selected_renders
from tests.conftest import Render
from tests.toml import toml

RENDERS = selected_renders()
COMPONENT_DIRS = {"model_client": "models", "code_executor": "code_executors", "tool": "tools"}
LEFTOVER_JINJA = re.compile(r"(?<!\$)\{\{|\{%|\{#|\.jinja\b")
LICENSE_FIRST_LINES = {
    "MIT": "MIT License",
    "Apache-2.0": "Apache License",
    "BSD-3-Clause": "BSD 3-Clause License",
    "Proprietary": "All rights reserved",
}


def _files(project: Path) -> list[Path]:
    return sorted(p for p in project.rglob("*") if p.is_file())


@pytest.mark.parametrize("answers", RENDERS, ids=[render_id(a) for a in RENDERS])
def test_render(render_project: Render, answers: dict[str, Any]) -> None:
    project = render_project(answers)
    files = _files(project)
    package = "autogen_example"  # the default package_name: free-text answers keep their defaults here

    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not LEFTOVER_JINJA.search(text), f"Jinja left in {path.relative_to(project)}"
        assert ".jinja" not in path.name
        if path.suffix == ".py":
            ast.parse(text, filename=str(path))
        elif path.suffix == ".toml":
            toml.loads(text)
        elif path.suffix in (".yml", ".yaml"):
            yaml.safe_load(text)

    # Files present exactly for the chosen components.
    for component, folder in COMPONENT_DIRS.items():
        chosen = component in answers["components"]
        assert (project / "src" / package / folder / "__init__.py").exists() == chosen, folder
        assert (project / "tests" / folder).exists() == chosen, f"tests/{folder}"
    assert (project / ".github").exists() == (answers["ci"] == "github")
    assert (project / "mkdocs.yml").exists() == answers["docs"]

    # Metadata agrees with the answers.
    pyproject = toml.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert pyproject["requires-python"] == f">={answers['python_min']}"
    expected_license = "LicenseRef-Proprietary" if answers["license"] == "Proprietary" else answers["license"]
    assert pyproject["license"] == expected_license
    assert LICENSE_FIRST_LINES[answers["license"]] in (project / "LICENSE").read_text(encoding="utf-8")
    assert not [c for c in pyproject["classifiers"] if c.startswith("License ::")], "PEP 639 forbids both"
    needs_httpx = bool({"model_client", "tool"} & set(answers["components"]))
    assert any(d.startswith("httpx") for d in pyproject["dependencies"]) == needs_httpx

    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    for name, value in answers.items():
        assert recorded[name] == value, f"{name} not recorded as given"
