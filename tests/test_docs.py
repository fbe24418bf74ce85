"""Documentation builds strictly with Zensical, this repository's site and the site of generated packages, and the
generated API reference shows the docstrings as Markdown: no reStructuredText left raw, examples highlighted."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hooks import docs
from hooks.gates import tool_env, uv
from hooks.plan import component_folders
from tests.conftest import REPO_ROOT, Render, dev_tool, python_or_skip

needs_zensical = pytest.mark.skipif(sys.version_info < (3, 11), reason="Zensical needs Python 3.11 or newer")

RAW_RST = {
    ".. code-block": "a code-block directive",
    ".. warning": "a warning directive",
    ":class:": "a :class: role",
    ":meth:": "a :meth: role",
    ":attr:": "an :attr: role",
    ":func:": "a :func: role",
    "``": "a double-backtick literal",
}
HIGHLIGHTED = re.compile(r'<div class="highlight"><pre>(.*?)</pre></div>', re.S)


def zensical_build(project: Path, zensical: str | Path, venv: Path | None = None) -> None:
    proc = subprocess.run(
        [str(zensical), "build", "--strict", "--clean"],
        cwd=project,
        env=tool_env(venv),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def text_of(page: str) -> str:
    """What a reader sees of a page's article: tags stripped, entities decoded."""
    article = page[page.find("<article") : page.rfind("</article>")]
    return html.unescape(re.sub(r"<[^>]+>", "", article))


def text_of_code(block: str) -> str:
    """The code a highlighted block shows (pygments wraps every token in a span)."""
    return html.unescape(re.sub(r"<[^>]+>", "", block))


def test_questions_page_is_current() -> None:
    committed = docs.QUESTIONS_PAGE.read_text(encoding="utf-8")
    assert committed == docs.questions_page(committed), "regenerate it: uv run python -m hooks.docs"


@needs_zensical
def test_template_docs_build_strictly(tmp_path: Path) -> None:
    for part in ("docs", "zensical.toml"):  # a copy: the build writes site/ and a cache next to the config
        source = REPO_ROOT / part
        shutil.copytree(source, tmp_path / part) if source.is_dir() else shutil.copy(source, tmp_path / part)
    zensical_build(tmp_path, dev_tool("zensical"))
    questions = (tmp_path / "site" / "questions" / "index.html").read_text(encoding="utf-8")
    assert "model_client_class" in questions, "the questions reference must be generated from copier.yml"


@pytest.mark.gates
def test_generated_docs_render_docstrings_as_markdown(render_project: Render) -> None:
    project = render_project({"docs": True, "frameworks": ["autogen", "agent_framework"]})
    python = python_or_skip("3.11")  # Zensical needs 3.11
    sync = [uv(), "sync", "--quiet", "--python", python, "--only-group", "docs", "--no-install-project"]
    subprocess.run(sync, cwd=project, env=tool_env(None), check=True, capture_output=True)
    venv = project / ".venv"
    zensical_build(project, venv / "bin" / "zensical", venv)

    answers = (project / ".copier-answers.yml").read_text(encoding="utf-8")
    for component, folder in component_folders().items():
        page = (project / "site" / folder / "index.html").read_text(encoding="utf-8")
        seen = text_of(page)
        assert "autogen_example" in seen, f"{folder}: mkdocstrings rendered no API reference"
        for raw, what in RAW_RST.items():
            assert raw not in seen, f"{folder}: {what} is shown raw: write the docstring in Markdown"
        # The component's class documents itself with an example that is highlighted Python code.
        class_name = re.search(rf"^{component}_class: (\w+)$", answers, re.M)
        assert class_name is not None, component
        name = class_name.group(1)
        start = page.find(f'id="autogen_example.{folder}.{name}"')
        assert start >= 0, f"{name} is not in the API reference"
        end = page.find("doc-object doc-class", start)
        section = page[start : end if end > 0 else len(page)]
        examples = [block for block in HIGHLIGHTED.findall(section) if f"{name}(" in text_of_code(block)]
        assert examples, f"{name}'s docstring has no highlighted example that builds it"
        assert all('<span class="' in block for block in examples), f"{name}'s example is not highlighted"

    # The MCP server's page: its host snippets, and its API reference in Markdown.
    page = (project / "site" / "mcp" / "index.html").read_text(encoding="utf-8")
    seen = text_of(page)
    for raw, what in RAW_RST.items():
        assert raw not in seen, f"mcp: {what} is shown raw: write the docstring in Markdown"
    for shown in ('"mcpServers"', '"servers"', "McpWorkbench", "MCPStdioTool", 'id="autogen_example.mcp.main"'):
        assert shown in (seen if shown.startswith('"') else page), f"mcp: {shown} missing"

    # The Agent Framework page: every component's front in the API reference, in Markdown.
    page = (project / "site" / "agent_framework" / "index.html").read_text(encoding="utf-8")
    seen = text_of(page)
    for raw, what in RAW_RST.items():
        assert raw not in seen, f"agent_framework: {what} is shown raw: write the docstring in Markdown"
    for component, folder in component_folders().items():
        class_name = re.search(rf"^{component}_class: (\w+)$", answers, re.M)
        assert class_name is not None, component
        assert f'id="autogen_example.{folder}.agent_framework.{class_name.group(1)}"' in page, f"{folder} front"
