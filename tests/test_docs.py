"""Documentation builds strictly: this repository's site, and the site of generated packages."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from hooks.gates import tool_env, uv
from tests.conftest import REPO_ROOT, Render, dev_tool, python_or_skip


def test_template_docs_build_strictly(tmp_path: Path) -> None:
    mkdocs = dev_tool("mkdocs")
    proc = subprocess.run(
        [str(mkdocs), "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    questions = (tmp_path / "site" / "questions" / "index.html").read_text(encoding="utf-8")
    assert "model_client_class" in questions, "the questions reference must be generated from copier.yml"


@pytest.mark.gates
@pytest.mark.parametrize(
    "answers",
    [{}, {"components": ["model_client"]}, {"components": ["code_executor"]}, {"components": ["tool"]}],
    ids=["all-components", "model_client", "code_executor", "tool"],
)
def test_generated_docs_build_strictly(render_project: Render, answers: dict[str, Any]) -> None:
    project = render_project({**answers, "docs": True})
    python = python_or_skip("3.11")
    sync = [uv(), "sync", "--quiet", "--python", python, "--only-group", "docs", "--no-install-project"]
    subprocess.run(sync, cwd=project, env=tool_env(None), check=True, capture_output=True)
    venv = project / ".venv"
    proc = subprocess.run(
        [str(venv / "bin" / "mkdocs"), "build", "--strict"],
        cwd=project,
        env=tool_env(venv),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    site = project / "site"
    for component in answers.get("components", ["model_client", "code_executor", "tool"]):
        page = {"model_client": "models", "code_executor": "code_executors", "tool": "tools"}[component]
        html = (site / page / "index.html").read_text(encoding="utf-8")
        assert "API reference" in html
        assert "autogen_example" in html, "mkdocstrings must render the package's API"
