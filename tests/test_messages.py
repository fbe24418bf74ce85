"""What copier prints after ``copy`` and ``update``, and the commands the docs give: each one tested as a user runs it.

pytest-copier's snapshot and helpers render here (``copier``); they force ``unsafe=True``, which does not matter
for a message (the trust-free proof is in tests/test_lifecycle.py and tests/test_render_matrix.py).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pytest_copier import CopierFixture

from hooks.answers import check_answer_keys
from hooks.plan import ALL_COMPONENTS, component_folders
from tests.conftest import REPO_ROOT

PACKAGE = "autogen_example"


def copy(copier: CopierFixture, dst: Path, capfd: pytest.CaptureFixture[str], **answers: Any) -> str:
    check_answer_keys(answers)  # pytest-copier passes unknown keys on silently
    capfd.readouterr()
    copier.copy(dst, **answers)
    return capfd.readouterr().err


@pytest.mark.parametrize("docs", [True, False], ids=["docs", "no-docs"])
def test_after_copy_every_next_step_is_listed(
    copier: CopierFixture, tmp_path: Path, capfd: pytest.CaptureFixture[str], docs: bool
) -> None:
    message = copy(copier, tmp_path / "project", capfd, docs=docs)
    steps = ["git init", "uv sync", "git add uv.lock", "uv run pytest", "uv run pre-commit install"]
    steps += [f"uv run python examples/{component}.py" for component in ALL_COMPONENTS]
    for step in steps:
        assert step in message, f"{step!r} missing from the message"
    assert ("zensical serve" in message) == docs
    for step in steps:
        if step.startswith("uv run python examples/"):  # every example the message names exists
            assert (tmp_path / "project" / step.removeprefix("uv run python ")).is_file()


def test_after_copy_only_the_chosen_examples_are_listed(
    copier: CopierFixture, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    message = copy(copier, tmp_path / "project", capfd, components=["tool"])
    assert re.findall(r"uv run python examples/(\w+)\.py", message) == ["tool"]


def test_after_update_a_removed_component_is_named_with_how_to_restore_it(
    copier: CopierFixture, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    project = copier.copy(tmp_path / "project")
    for command in ("git init -q", "git add -A", "git commit -qm copied"):
        project.run(command)
    folder = component_folders()["model_client"]
    edited = tmp_path / "project" / "src" / PACKAGE / folder / "_model_info.py"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nMY_EDIT = 1\n", encoding="utf-8")
    project.run("git commit -qam 'my edit'")
    capfd.readouterr()

    project.update(components=["tool"])

    message = capfd.readouterr().err
    assert "Components now: tool." in message
    assert "Not in the project: model_client, code_executor" in message
    assert f"src/{PACKAGE}/{folder}/" in message
    assert "your edits" in message
    status = project.run("git status --porcelain")
    assert f" D src/{PACKAGE}/{folder}/_model_info.py" in status, status
    restore = re.search(r"git restore [^\n<]+", message)
    assert restore is not None, message
    project.run(f"{restore.group(0).strip()} src/{PACKAGE}/{folder}")  # the advertised command works
    assert "MY_EDIT = 1" in edited.read_text(encoding="utf-8"), "the restored file must hold the user's edit"


def _documented_copy_commands(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    return [line.split("#")[0].strip() for block in blocks for line in block.splitlines() if "copier copy" in line]


@pytest.mark.parametrize("document", ["README.md", "docs/getting-started.md"])
def test_documented_copy_commands_render_a_project(document: str, tmp_path: Path) -> None:
    commands = _documented_copy_commands(REPO_ROOT / document)
    assert commands, f"{document} shows no copier copy command"
    assert not [c for c in commands if re.search(r"OWNER|<[a-z]+>|path/to", c)], "a placeholder to guess"
    local = [shlex.split(c.replace('"$PWD"', str(REPO_ROOT))) for c in commands if "$(" not in c]
    assert local, f"{document} shows no command that renders from a clone"
    for number, argv in enumerate(local):
        # `uvx copier` is `python -m copier` from the dev group; the destination moves into tmp_path.
        copy_args = argv[argv.index("copy") + 1 : -1]
        copy_args += [] if "--defaults" in copy_args else ["--defaults"]  # no one answers the questions here
        destination = tmp_path / f"render-{number}"
        proc = subprocess.run(
            [sys.executable, "-m", "copier", "copy", "--quiet", *copy_args, str(destination)],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        assert (destination / "pyproject.toml").is_file()
