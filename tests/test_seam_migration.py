"""Layer 4: an author's rewritten vendor module survives the update that made the seams framework-neutral.

The project is copied at the last template state whose seam contracts spoke AutoGen's types
(``SEAM_BASELINE``), its wire format and its search API are swapped for the second protocols written against
those contracts (Ollama's chat API and a POST search API, as this repository kept them then), committed, and
updated to the working tree without trust. The update may conflict
only in the files the author rewrote, the author's code must still be there, and after the migration that
docs/updating.md documents (its rename table, applied here mechanically) the package type-checks and its
tests pass, the framework-free run included. The same update adds the Agent Framework fronts, so their tests
run the author's vendor code too.
"""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest

from hooks.gates import tool_env, uv
from hooks.releases import Version, git, template_repo
from hooks.render import REPO_ROOT, snapshot
from tests.conftest import python_or_skip
from tests.test_lifecycle import commit_all, conflicts, copy_project, update

SEAM_BASELINE = "d0ac0654569c7a80138e7e4d2162e0e9f57c1e35"
"""The last commit whose seam contracts spoke AutoGen's types (landed before the framework-neutral seams)."""
PACKAGE = "autogen_example"
OLLAMA = "tests/seams/ollama"
WIRE_FORMAT = f"src/{PACKAGE}/models/_wire_format.py"
WIRE_TESTS = "tests/models/test_wire_format.py"
SWAPS = {
    OLLAMA: [WIRE_FORMAT, WIRE_TESTS, "tests/models/wire_server.py"],
    "tests/seams/search_post": [
        f"src/{PACKAGE}/tools/_search_api.py",
        "tests/tools/search_wire.py",
        "tests/tools/test_search_api.py",
    ],
}
"""Where each second protocol lives in this repository -> the project files it replaces."""
SEAM_FILES = {path for paths in SWAPS.values() for path in paths}
MARKERS = re.compile(r"<<<<<<< before updating\n(.*?)=======\n.*?>>>>>>> after updating\n", re.S)


def baseline_file(path: str) -> str:
    """A file of this repository as it was at ``SEAM_BASELINE``."""
    try:
        return git("show", f"{SEAM_BASELINE}:{path}", cwd=REPO_ROOT)
    except RuntimeError as exc:  # a shallow clone: the history this test replays is missing
        pytest.fail(f"commit {SEAM_BASELINE[:7]} is not in this clone (fetch the full history): {exc}")


def documented_renames() -> list[tuple[str, str]]:
    """The model client's rename table in docs/updating.md: (before, after) pairs."""
    text = (REPO_ROOT / "docs" / "updating.md").read_text(encoding="utf-8")
    table = text.split("| before (AutoGen) |", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"^\| `([^`]+)` \| `([^`]+)` \|$", table, flags=re.M)


def migrate_wire_format(source: str, renames: list[tuple[str, str]]) -> str:
    """docs/updating.md's steps: drop the `autogen_core` imports, rename, import the names from `._chat_types`."""
    lines = source.splitlines(keepends=True)
    dropped: set[int] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("autogen_core"):
            dropped.update(range(node.lineno - 1, node.end_lineno or node.lineno))
    text = "".join(line for index, line in enumerate(lines) if index not in dropped)
    types: list[str] = []
    for before, after in renames:
        if before.endswith("()"):  # a method that became a property
            text = text.replace(f".{before}", f".{after}")
            continue
        text = re.sub(rf"\b{before}\b", after, text)
        types.append(after)
    used = sorted({name for name in types if re.search(rf"\b{name}\b", text)})
    anchor = "from ._errors import"
    return text.replace(anchor, f"from ._chat_types import {', '.join(used)}\n{anchor}", 1)


def without_imports(source: str) -> list[str]:
    lines = source.splitlines()
    imports = {
        index
        for node in ast.parse(source).body
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for index in range(node.lineno - 1, node.end_lineno or node.lineno)
    }
    return [line for index, line in enumerate(lines) if index not in imports and line.strip()]


def keep_our_side(text: str) -> str:
    return MARKERS.sub(lambda match: match.group(1), text)


def run(project: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=project, env=tool_env(project / ".venv"), capture_output=True, text=True, timeout=900, check=False
    )


@pytest.mark.gates
def test_a_rewritten_wire_format_survives_the_update_and_the_documented_migration(tmp_path: Path) -> None:
    python = python_or_skip("3.12")
    old = Version("autogen-typed-seams", SEAM_BASELINE, "v0.1.1").export(tmp_path / "old")
    repo = template_repo(tmp_path / "repo", [("v0.1.1", old), (None, snapshot(tmp_path / "new"))])
    answers = {"components": ["model_client", "tool"]}
    project = copy_project(repo, tmp_path / "project", answers, vcs_ref="v0.1.1")

    # The author's vendor code, written against the AutoGen-typed contracts of that release.
    for protocol, paths in SWAPS.items():
        for path in paths:
            text = baseline_file(f"{protocol}/{path.replace(PACKAGE, 'PACKAGE')}")
            (project / path).write_text(text, encoding="utf-8")
    commit_all(project, "Target our vendors' APIs")
    authored = (project / WIRE_FORMAT).read_text(encoding="utf-8")

    update(project, data={"frameworks": ["autogen", "agent_framework"]})  # and serve Agent Framework too

    found = conflicts(project)
    outside = [line for line in found if not any(line.endswith(path) for path in SEAM_FILES)]
    assert outside == [], f"conflicts outside the files the author rewrote: {outside}"
    assert "/api/chat" in (project / WIRE_FORMAT).read_text(encoding="utf-8"), "the author's code is gone"
    assert "X-API-Key" in (project / SWAPS["tests/seams/search_post"][0]).read_text(encoding="utf-8")
    assert (project / "src" / PACKAGE / "models" / "_chat_core.py").is_file(), "the update did not arrive"
    assert (project / "src" / PACKAGE / "models" / "agent_framework" / "__init__.py").is_file()

    # The documented migration: keep the author's side everywhere; rename the types in the wire format (the
    # search API's contract did not change); the wire format's tests are migrated as the worked example in
    # tests/seams/ollama shows.
    for path in SEAM_FILES:
        target = project / path
        target.write_text(keep_our_side(target.read_text(encoding="utf-8")), encoding="utf-8")
    # The merge may have swapped the module's import block for the template's new one (those lines were the
    # template's): everything else must be the author's, untouched.
    assert without_imports((project / WIRE_FORMAT).read_text(encoding="utf-8")) == without_imports(authored)
    renames = documented_renames()
    assert ("FunctionCall", "ToolCall") in renames, "docs/updating.md lost its rename table"
    merged = (project / WIRE_FORMAT).read_text(encoding="utf-8")
    (project / WIRE_FORMAT).write_text(migrate_wire_format(merged, renames), encoding="utf-8")
    worked_example = (REPO_ROOT / OLLAMA / WIRE_TESTS).read_text(encoding="utf-8")
    (project / WIRE_TESTS).write_text(worked_example, encoding="utf-8")

    install = subprocess.run(
        [uv(), "sync", "--python", python, "--quiet"], cwd=project, env=tool_env(None), capture_output=True, text=True
    )
    assert install.returncode == 0, install.stdout + install.stderr
    assert run(project, "ruff", "check", "--fix", "--no-cache", WIRE_FORMAT).returncode == 0  # sorts the import
    for argv in (["ruff", "format", "--no-cache", WIRE_FORMAT], ["mypy"], ["pyright"]):
        proc = run(project, *argv)
        assert proc.returncode == 0, f"{' '.join(argv)} after the migration:\n{proc.stdout}{proc.stderr}"
    tests = ["tests/models", "tests/tools", "tests/test_framework_free.py", "tests/test_framework_fronts.py"]
    proc = run(project, "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    migrated = (project / WIRE_FORMAT).read_text(encoding="utf-8")
    assert "autogen_core" not in migrated and "/api/chat" in migrated
