"""Layer 2: render every answer combination without trust and check each render statically.

The matrix comes from copier.yml (hooks/matrix.py), so a new choice, bool or multiselect question joins it
without touching this file. ``MATRIX_LANE``/``MATRIX_SLICE`` select a part of it (see hooks/matrix.py).

Besides checking each render on its own, every render is compared with the *full* render (every component,
default answers): its Python files must be byte-identical to the full render's, and so must the settings of
pytest, mypy, pyright and ruff. The gates rely on it (hooks/plan.py): the full package's pyright and test runs
stand for every other package's.
"""

from __future__ import annotations

import ast
import hashlib
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.copier_copy import RECORDED_FILES, RECORDED_RATIO
from hooks.answers import asked, questions
from hooks.matrix import render_id, selected_renders
from hooks.plan import ALL_COMPONENTS, MCP_TEST_FOLDER, SUPPORTED_PYTHONS, component_folders, python_files
from hooks.toml import toml
from tests.conftest import REPO_ROOT, Render, dev_tool

RENDERS = selected_renders()
LEFTOVER_JINJA = re.compile(r"(?<!\$)\{\{|\{%|\{#|\.jinja\b")
LICENSE_FIRST_LINES = {
    "MIT": "MIT License",
    "Apache-2.0": "Apache License",
    "BSD-3-Clause": "BSD 3-Clause License",
    "Proprietary": "All rights reserved",
}
PARSERS: dict[str, Callable[[str], object]] = {
    ".py": ast.parse,
    ".toml": toml.loads,
    ".yml": yaml.safe_load,
    ".yaml": yaml.safe_load,
}
# Most files are the same in many renders: each distinct content is parsed once per worker.
_PARSED: set[tuple[str, str]] = set()


def _files(project: Path) -> list[Path]:
    return sorted(p for p in project.rglob("*") if p.is_file())


def _python_files(project: Path) -> dict[str, str]:
    return {path: (project / path).read_text(encoding="utf-8") for path in python_files(project)}


def _tool_settings(project: Path) -> dict[str, Any]:
    return toml.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["tool"]


@pytest.fixture(scope="session")
def full_render(full_package: Path) -> tuple[dict[str, str], Any]:
    """The full render's Python files and tool settings: what every render must agree with."""
    return _python_files(full_package), _tool_settings(full_package)


@pytest.mark.parametrize("answers", RENDERS, ids=[render_id(a) for a in RENDERS])
def test_render(render_project: Render, full_render: tuple[dict[str, str], Any], answers: dict[str, Any]) -> None:
    project = render_project(answers)
    files = _files(project)
    package = "autogen_example"  # the default package_name: free-text answers keep their defaults here

    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not LEFTOVER_JINJA.search(text), f"Jinja left in {path.relative_to(project)}"
        assert ".jinja" not in path.name
        parse = PARSERS.get(path.suffix)
        key = (path.suffix, hashlib.sha256(text.encode()).hexdigest())
        if parse is not None and key not in _PARSED:
            parse(text)
            _PARSED.add(key)

    # The gates' premise (hooks/plan.py): Python files and tool settings are the full render's.
    full_python, full_settings = full_render
    for path, text in _python_files(project).items():
        assert path in full_python, f"{path} exists only without some component: the full package cannot cover it"
        assert text == full_python[path], f"{path} depends on the answers: make it identical (see hooks/plan.py)"
    assert _tool_settings(project) == full_settings, "pyproject's [tool] settings depend on the answers"

    # Files present exactly for the chosen components, with an Agent Framework front when that is chosen.
    agent_framework = "agent_framework" in answers["frameworks"]
    for component, folder in component_folders().items():
        chosen = component in answers["components"]
        assert (project / "src" / package / folder / "__init__.py").exists() == chosen, folder
        assert (project / "tests" / folder).exists() == chosen, f"tests/{folder}"
        front = project / "src" / package / folder / "agent_framework" / "__init__.py"
        assert front.exists() == (chosen and agent_framework), f"{folder}/agent_framework"
    # The MCP server, its tests, extra and command exactly when the package has something to serve.
    mcp_server = bool(set(answers["components"]) - {"model_client"})
    assert (project / "src" / package / "mcp" / "__init__.py").exists() == mcp_server
    assert (project / "tests" / MCP_TEST_FOLDER / "__init__.py").exists() == mcp_server
    assert (project / "docs" / "mcp.md").exists() == (mcp_server and answers["docs"])
    metadata = toml.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert ("mcp" in metadata.get("optional-dependencies", {})) == mcp_server
    assert metadata.get("scripts", {}) == ({"autogen-example-mcp": f"{package}.mcp:main"} if mcp_server else {})
    for component in ("tool", "memory", "code_executor"):
        source = project / "src" / package / "mcp" / f"_{component}_source.py"
        assert source.exists() == (component in answers["components"]), source.name
    assert (project / ".github").exists() == (answers["ci"] == "github")
    assert (project / "zensical.toml").exists() == answers["docs"]
    for component in ALL_COMPONENTS:
        chosen = component in answers["components"]
        assert (project / "examples" / f"{component}.py").exists() == chosen
        assert (project / "examples" / f"{component}_agent_framework.py").exists() == (chosen and agent_framework)

    # Metadata agrees with the answers.
    pyproject = toml.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert pyproject["requires-python"] == f">={answers['python_min']}"
    versions = [
        c.rsplit(" ", 1)[1]
        for c in pyproject["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]
    assert versions[0] == answers["python_min"], "classifiers start at python_min"
    assert versions == list(SUPPORTED_PYTHONS[SUPPORTED_PYTHONS.index(answers["python_min"]) :]), (
        "one classifier per supported Python, from python_min on"
    )
    expected_license = "LicenseRef-Proprietary" if answers["license"] == "Proprietary" else answers["license"]
    assert pyproject["license"] == expected_license
    assert LICENSE_FIRST_LINES[answers["license"]] in (project / "LICENSE").read_text(encoding="utf-8")
    assert not [c for c in pyproject["classifiers"] if c.startswith("License ::")], "PEP 639 forbids both"
    needs_httpx = bool({"model_client", "tool"} & set(answers["components"]))
    assert any(d.startswith("httpx") for d in pyproject["dependencies"]) == needs_httpx
    # AutoGen in the base install exactly when chosen; Agent Framework behind the extra (in the base install too
    # when AutoGen is not chosen, so it is never needed).
    base = _names(pyproject["dependencies"])
    extras = {name: _names(requirements) for name, requirements in pyproject.get("optional-dependencies", {}).items()}
    assert ("autogen-core" in base) == ("autogen" in answers["frameworks"])
    assert ("agent-framework-core" in base) == (answers["frameworks"] == ["agent_framework"])
    assert ("agent-framework-core" in extras.get("agent-framework", set())) == agent_framework
    assert set(extras) <= {"agent-framework", "autogen", "mcp"}
    if "mcp" in extras:  # it serves the AutoGen components: autogen-core comes with the base install or with it
        assert "autogen-core" in extras["mcp"] | base

    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    for question in questions():
        if question.name not in answers:
            continue
        if asked(question, answers):
            assert recorded[question.name] == answers[question.name], f"{question.name} not recorded as given"
        else:  # copier stores no answer to a question it did not ask
            assert question.name not in recorded, f"{question.name} recorded though not asked"


TRICKY_TEXT = 'Tom\'s "quoted" \\ back\\slash {{ not_jinja }} {% raw %} ünïcødé — 漢字 <b>&amp;'


def test_free_text_comes_out_intact(render_project: Render) -> None:
    answers = {"project_name": TRICKY_TEXT, "description": TRICKY_TEXT, "author_name": TRICKY_TEXT, "docs": True}
    project = render_project(answers)
    metadata = toml.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert metadata["description"] == TRICKY_TEXT
    assert metadata["authors"][0]["name"] == TRICKY_TEXT
    assert metadata["name"] == "autogen-tom-s-quoted-back-slash-not-jinja-raw-n-c-d-b-amp"
    site = toml.loads((project / "zensical.toml").read_text(encoding="utf-8"))["project"]
    assert site["site_name"] == TRICKY_TEXT
    assert site["site_description"] == TRICKY_TEXT
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert readme.startswith(f"# {TRICKY_TEXT}\n\n{TRICKY_TEXT}\n")
    assert TRICKY_TEXT in (project / "LICENSE").read_text(encoding="utf-8")
    for path in (project / "src").rglob("*.py"):
        ast.parse(path.read_text(encoding="utf-8"))  # free text never breaks generated code


# Where each import of generated code must come from: the standard library, or a declared dependency.
IMPORT_TO_DISTRIBUTION = {
    "autogen_core": "autogen-core",
    "autogen_agentchat": "autogen-agentchat",
    "autogen_ext": "autogen-ext",
    "pydantic": "pydantic",
    "typing_extensions": "typing-extensions",
    "httpx": "httpx",
    "opentelemetry": "opentelemetry-api",  # the SDK shares the name, and is a test dependency only
    "agent_framework": "agent-framework-core",
    "agent_framework_openai": "agent-framework-openai",
    "pytest": "pytest",
    "pytest_asyncio": "pytest-asyncio",
    "mcp": "mcp",
    "uvicorn": "uvicorn",
}


def _top_level_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0].lower() for r in requirements}


@pytest.mark.parametrize(
    "components",
    [["model_client"], ["code_executor"], ["tool"], ["memory"], ["model_client", "code_executor", "tool", "memory"]],
)
@pytest.mark.parametrize("frameworks", [["autogen"], ["autogen", "agent_framework"], ["agent_framework"]])
def test_every_import_is_declared(render_project: Render, components: list[str], frameworks: list[str]) -> None:
    project = render_project({"components": components, "frameworks": frameworks})
    pyproject = toml.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    # What a user installing every extra gets: the Agent Framework fronts import their framework from its extra,
    # and a package that leaves AutoGen out of its base install still ships the AutoGen fronts.
    extras = pyproject["project"].get("optional-dependencies", {})
    runtime = _names(pyproject["project"]["dependencies"]) | _names([r for group in extras.values() for r in group])
    dev = runtime | _names(pyproject["dependency-groups"]["dev"])
    local = {"autogen_example", "tests"}
    stdlib = set(sys.stdlib_module_names)
    for folder, declared in (("src", runtime), ("tests", dev), ("examples", dev)):
        for path in (project / folder).rglob("*.py"):
            for module in _top_level_imports(path) - stdlib - local:
                where = path.relative_to(project)
                assert module in IMPORT_TO_DISTRIBUTION, f"{where} imports unknown {module}"
                distribution = IMPORT_TO_DISTRIBUTION[module]
                assert distribution in declared, f"{where} imports {module}, but {distribution} is not declared"
    uses_httpx = any("httpx" in _top_level_imports(p) for p in (project / "src").rglob("*.py"))
    assert ("httpx" in runtime) == uses_httpx, "httpx is declared exactly when the package uses it"
    uses_tracing = any("opentelemetry" in _top_level_imports(p) for p in (project / "src").rglob("*.py"))
    assert ("opentelemetry-api" in runtime) == uses_tracing, "the API is declared exactly when the package traces"
    uses_sdk = any(
        "opentelemetry.sdk" in path.read_text(encoding="utf-8") for path in (project / "tests").rglob("*.py")
    )
    assert ("opentelemetry-sdk" in dev) == uses_sdk, "the SDK is a dev dependency exactly when the tests use it"


def test_longest_names_still_pass_ruff(render_project: Render) -> None:
    """The validators' length limits keep every generated line within ruff's 120 columns."""
    answers = {
        "components": ["model_client", "code_executor", "tool", "memory"],
        "frameworks": ["autogen", "agent_framework"],
        "package_name": "p" * 28,
        "model_client_class": "M" + "m" * 39,
        "code_executor_class": "C" + "c" * 39,
        "tool_class": "T" + "t" * 39,
        "tool_name": "t" * 64,
        "memory_class": "Y" + "y" * 39,
    }
    project = render_project(answers)
    ruff = dev_tool("ruff")
    for argv in (["check", "--no-cache", "."], ["format", "--no-cache", "--check", "."]):
        proc = subprocess.run([str(ruff), *argv], cwd=project, capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_default_copy_renders_as_many_files_as_its_copy_time_was_recorded_with(render_project: Render) -> None:
    """Copy time follows the number of files (docs/decisions/0004-copy-time.md): a change that adds or removes
    files of the default copy re-measures it and records the new figures."""
    project = render_project({})
    rendered = sum(1 for path in project.rglob("*") if path.is_file())
    assert rendered == RECORDED_FILES, (
        f"the default copy renders {rendered} files, not {RECORDED_FILES}: run benchmarks/copier_copy.py and "
        "record its figures (RECORDED_FILES, RECORDED_RATIO there; docs/benchmarks.md)"
    )
    recorded = (REPO_ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert f"| {RECORDED_FILES} |" in recorded, "docs/benchmarks.md records another file count"
    assert f"**{RECORDED_RATIO:.2f}**" in recorded, "docs/benchmarks.md records another ratio"
