"""Layer 4: ``copier update`` loses nothing, from every earlier release to the working tree, without trust.

For each earlier version (hooks/releases.py) and representative answers: copy at that version, commit,
make realistic user edits, commit, ``copier update --defaults`` to the working tree with ``unsafe=False``,
then check that nothing conflicted, every edit and answer survived, the result equals a fresh copy plus the
same edits, and (for the full package) the package's own tests pass.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml

from hooks.gates import run_package_tests
from hooks.releases import Version, earlier_versions, git, template_repo
from hooks.render import snapshot
from hooks.toml import toml
from tests.conftest import commit_all, copy_project, python_or_skip

PACKAGE = "autogen_example"
VERSIONS = earlier_versions()
ANSWER_SETS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "model_client": {"components": ["model_client"]},
    "code_executor": {"components": ["code_executor"]},
    "tool": {"components": ["tool"]},
}

# ---- realistic user edits: each one is applied the same way to the updated and to a fresh project ----


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def add_module(project: Path) -> None:
    (project / "src" / PACKAGE / "user_helpers.py").write_text('"""Written by the user."""\n\nANSWER = 42\n')


def add_readme_paragraph(project: Path) -> None:
    _append(project / "README.md", "\n## Our deployment\n\nWe run this behind the corporate proxy.\n")


def add_dependency(project: Path) -> None:
    # An extra of the user's own, in the extras table: the generated one when there is one (a package with an
    # MCP server or an Agent Framework front has it; TOML allows one), else a new one at the end.
    pyproject = project / "pyproject.toml"
    table, extra = "[project.optional-dependencies]\n", 'rich = ["rich>=13"]\n'
    text = pyproject.read_text(encoding="utf-8")
    if table in text:
        pyproject.write_text(text.replace(table, table + extra, 1), encoding="utf-8")
    else:
        _append(pyproject, f"\n{table}{extra}")


def change_generated_test(project: Path) -> None:
    _append(project / "tests" / "conftest.py", '\n\nUSER_MARKER = "kept across updates"\n')


def add_root_file(project: Path) -> None:
    (project / "NOTES.md").write_text("Release checklist: tag, wait for CI, publish.\n")


USER_EDITS: list[Callable[[Path], None]] = [
    add_module,
    add_readme_paragraph,
    add_dependency,
    change_generated_test,
    add_root_file,
]


def apply_user_edits(project: Path) -> None:
    for edit in USER_EDITS:
        edit(project)


# ---- helpers ----


def update(project: Path, **kwargs: Any) -> None:
    copier.run_update(
        str(project),
        defaults=True,
        unsafe=False,
        overwrite=True,
        vcs_ref="HEAD",
        conflict="inline",
        quiet=True,
        **kwargs,
    )


def conflicts(project: Path) -> list[str]:
    """Every sign of a conflict copier may leave while still exiting 0."""
    found = [f"unmerged: {line}" for line in git("ls-files", "--unmerged", cwd=project).splitlines()]
    found += [f"rejected hunk: {p}" for p in project.rglob("*.rej") if ".git" not in p.parts]
    for path in project.rglob("*"):
        if path.is_file() and ".git" not in path.parts and ".venv" not in path.parts:
            if "<<<<<<< " in path.read_text(encoding="utf-8", errors="replace"):
                found.append(f"conflict markers: {path.relative_to(project)}")
    return found


def stored_answers(project: Path) -> dict[str, Any]:
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    return {k: v for k, v in answers.items() if not k.startswith("_")}


def tree(project: Path) -> dict[str, str]:
    skip = {".git", ".venv", "uv.lock", ".copier-answers.yml", "dist", ".pytest_cache"}
    return {
        str(p.relative_to(project)): p.read_text(encoding="utf-8")
        for p in sorted(project.rglob("*"))
        if p.is_file() and not (skip & set(p.relative_to(project).parts)) and "__pycache__" not in p.parts
    }


@pytest.fixture(scope="module", params=VERSIONS, ids=[v.label for v in VERSIONS])
def release_repo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Version]:
    """A template repository: the earlier version (tagged), then the working tree at HEAD."""
    version: Version = request.param
    root = tmp_path_factory.mktemp(f"template-{version.label}")
    old = version.export(root / "old")
    new = snapshot(root / "new")
    return template_repo(root / "repo", [(version.tag, old), (None, new)]), version


@pytest.mark.parametrize("answer_set", list(ANSWER_SETS))
def test_update_from_earlier_version_keeps_user_work(
    release_repo: tuple[Path, Version], tmp_path: Path, answer_set: str
) -> None:
    repo, version = release_repo
    answers = ANSWER_SETS[answer_set]
    project = copy_project(repo, tmp_path / "project", answers, vcs_ref=version.tag)
    apply_user_edits(project)
    commit_all(project, "user edits")
    answers_before = stored_answers(project)

    update(project)

    assert conflicts(project) == []
    assert stored_answers(project) == answers_before, "an update must never change a stored answer"
    # The fresh copy takes the project's answers: a question added since (or a new default) must not differ.
    fresh = copy_project(repo, tmp_path / "fresh", answers_before, vcs_ref="HEAD")
    apply_user_edits(fresh)
    assert tree(project) == tree(fresh), "update result must equal a fresh copy plus the same user edits"
    assert toml.loads((project / "pyproject.toml").read_text())["project"]["optional-dependencies"]["rich"]

    if answer_set == "defaults":
        # The updated tree equals a fresh copy plus the edits (asserted above), the fresh copy's files are the
        # full package's (tests/test_render_matrix.py) and the edits are the same for every answer set: running
        # the updated full project's tests once covers every set's.
        result = run_package_tests(project, python_or_skip("3.11"))
        assert result.ok, result.failures()


def test_overlapping_edit_shows_up_as_a_conflict(tmp_path: Path) -> None:
    old = snapshot(tmp_path / "v1")
    new = snapshot(tmp_path / "v2")
    readme = new / "template" / "README.md.jinja"
    readme.write_text(
        readme.read_text().replace(
            "pip install {{ distribution_name }}", "python -m pip install {{ distribution_name }}"
        )
    )
    repo = template_repo(tmp_path / "repo", [("v0.0.1", old), (None, new)])
    project = copy_project(repo, tmp_path / "project", {"components": ["tool"]}, vcs_ref="v0.0.1")
    user_readme = project / "README.md"
    user_readme.write_text(
        user_readme.read_text().replace("pip install autogen-example", "pip install --pre autogen-example")
    )
    commit_all(project, "user pins a pre-release")

    update(project)

    found = conflicts(project)
    assert found, "an edit overlapping a template change must surface as a conflict, never be overwritten silently"
    text = user_readme.read_text()
    assert "pip install --pre autogen-example" in text
    assert "python -m pip install autogen-example" in text


@pytest.fixture
def head_repo(copier_template: Path) -> Path:
    """pytest-copier's session snapshot of the working tree: a git repository whose one commit is tagged."""
    return copier_template


@pytest.mark.parametrize(
    ("components", "folder"), [(["model_client", "tool"], "models"), (["tool", "memory"], "memory")]
)
def test_adding_a_component_later_brings_its_files_and_keeps_edits(
    head_repo: Path, tmp_path: Path, components: list[str], folder: str
) -> None:
    project = copy_project(head_repo, tmp_path / "project", {"components": ["tool"]}, vcs_ref="HEAD")
    apply_user_edits(project)
    commit_all(project, "user edits")

    update(project, data={"components": components})

    assert conflicts(project) == []
    fresh = copy_project(head_repo, tmp_path / "fresh", {"components": components}, vcs_ref="HEAD")
    apply_user_edits(fresh)
    assert tree(project) == tree(fresh)
    assert (project / "src" / PACKAGE / folder / "__init__.py").exists()
    assert (project / "tests" / folder).is_dir()
    assert stored_answers(project)["components"] == components


def test_removing_a_component_removes_its_files_cleanly(head_repo: Path, tmp_path: Path) -> None:
    project = copy_project(head_repo, tmp_path / "project", {}, vcs_ref="HEAD")
    apply_user_edits(project)
    commit_all(project, "user edits")

    update(project, data={"components": ["tool"]})

    assert conflicts(project) == []
    fresh = copy_project(head_repo, tmp_path / "fresh", {"components": ["tool"]}, vcs_ref="HEAD")
    apply_user_edits(fresh)
    assert tree(project) == tree(fresh)
    for folder in ("models", "code_executors"):
        assert not (project / "src" / PACKAGE / folder).exists()
        assert not (project / "tests" / folder).exists()


def test_changing_the_license_rewrites_license_and_metadata(head_repo: Path, tmp_path: Path) -> None:
    project = copy_project(head_repo, tmp_path / "project", {"components": ["tool"]}, vcs_ref="HEAD")
    apply_user_edits(project)
    commit_all(project, "user edits")

    update(project, data={"license": "Apache-2.0"})

    assert conflicts(project) == []
    assert "Apache License" in (project / "LICENSE").read_text()
    assert toml.loads((project / "pyproject.toml").read_text())["project"]["license"] == "Apache-2.0"
    assert stored_answers(project)["license"] == "Apache-2.0"
    fresh = copy_project(
        head_repo, tmp_path / "fresh", {"components": ["tool"], "license": "Apache-2.0"}, vcs_ref="HEAD"
    )
    apply_user_edits(fresh)
    assert tree(project) == tree(fresh)


def test_copy_and_update_need_no_trust(head_repo: Path, tmp_path: Path) -> None:
    """``unsafe=False`` throughout this module already proves it; this names the guarantee on its own."""
    project = copy_project(head_repo, tmp_path / "project", {}, vcs_ref="HEAD")
    update(project)
    assert conflicts(project) == []
