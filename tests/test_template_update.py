"""The generated repository's template-update job, run for real: `.github/template_update.py`, as the workflow
calls it, against a local template repository with two tagged releases (the working tree, and the working tree
with one line of the generated README changed).

- a clean update: the branch content is the new release's, and the pull-request text names both versions,
  the changed file and the template's CHANGELOG;
- a conflicting update: the step exits 1 naming the file, with the commands that resolve it, and nothing is
  committed or pushed;
- no update available: nothing happens;
- publishing: with the token, the branch is pushed and a pull request opened; without it, an issue that says
  which secret to add. `gh` is a stand-in on PATH that records its calls; the remote is a local bare repository;
- the Renovate path: a project copied with copier's `gh:` shorthand stores the URL Renovate can read, Renovate's
  tag lookup and its exact `copier update` command work on it without trust, and an earlier release's answers
  file gets the URL with its next update. git's `insteadOf` serves the github.com URL from the local releases.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from hooks.releases import git, template_repo
from hooks.render import snapshot
from tests.conftest import commit_all, copy_project

ANSWERS = {"components": ["tool"], "docs": False}
README_LINE = "To be found by AutoGen users, add the GitHub topics `autogen` and `autogen-extension` to the repository."
NEW_LINE = "To be found by AutoGen users, add the GitHub topics `autogen`, `autogen-extension` and `agents`."
FAKE_GH = """
import json, os, sys
with open(os.environ["GH_CALLS"], "a", encoding="utf-8") as calls:
    calls.write(json.dumps(sys.argv[1:]) + "\\n")
if sys.argv[2:3] == ["list"]:
    print("[]")
"""


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A template repository: v1.0.0 (the working tree), then v1.1.0 with the README line changed."""
    root = tmp_path_factory.mktemp("template-update")
    old = snapshot(root / "old")
    new = snapshot(root / "new")
    readme = new / "template" / "README.md.jinja"
    text = readme.read_text(encoding="utf-8")
    assert README_LINE in text
    readme.write_text(text.replace(README_LINE, NEW_LINE), encoding="utf-8")
    return template_repo(root / "repo", [("v1.0.0", old), ("v1.1.0", new)])


def project_at(releases: Path, dest: Path) -> Path:
    return copy_project(releases, dest, ANSWERS, vcs_ref="v1.0.0")


def step(project: Path, *args: str, **env: str) -> tuple[int, str, dict[str, str]]:
    """Run one step of the job as the workflow does; its exit status, output and GITHUB_OUTPUT values."""
    outputs = project.parent / f"{project.name}-outputs"
    outputs.write_text("")
    environment = {key: value for key, value in os.environ.items() if key != "TEMPLATE_UPDATE_TOKEN"}
    environment.update(
        COPIER=f"{sys.executable} -m copier",
        GITHUB_OUTPUT=str(outputs),
        GITHUB_STEP_SUMMARY=str(project.parent / f"{project.name}-summary.md"),
        GIT_CONFIG_GLOBAL=os.devnull,
        **env,
    )
    done = subprocess.run(
        [sys.executable, ".github/template_update.py", *args],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    values = dict(line.split("=", 1) for line in outputs.read_text().splitlines() if "=" in line)
    return done.returncode, done.stdout + done.stderr, values


def test_a_clean_update_gives_the_new_release_and_its_pull_request_text(releases: Path, tmp_path: Path) -> None:
    project = project_at(releases, tmp_path / "project")
    status, output, values = step(project, "check")
    assert status == 0, output
    assert values["available"] == "true"
    assert (values["current"], values["latest"]) == ("1.0.0", "1.1.0")

    report = tmp_path / "report.md"
    status, output, values = step(project, "update", str(report))
    assert status == 0, output
    assert NEW_LINE in (project / "README.md").read_text(encoding="utf-8")
    text = report.read_text(encoding="utf-8")
    assert "Template update 1.0.0 → 1.1.0" in text
    assert "`README.md`" in text and "`.copier-answers.yml`" in text
    assert f"the CHANGELOG of {releases} at 1.1.0" in text
    assert values["title"] == "Template update 1.0.0 → 1.1.0"


def test_a_conflicting_update_stops_naming_the_files(releases: Path, tmp_path: Path) -> None:
    project = project_at(releases, tmp_path / "project")
    readme = project / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8").replace(README_LINE, "Our own words here."))
    commit_all(project, "our README")
    head = git("rev-parse", "HEAD", cwd=project)

    report = tmp_path / "report.md"
    status, output, _ = step(project, "update", str(report))
    assert status == 1
    assert "- `README.md`" in output
    text = report.read_text(encoding="utf-8")
    assert "stopped: it conflicts with your changes" in text
    assert "copier update --defaults --skip-answered" in text
    assert (tmp_path / "project-summary.md").read_text(encoding="utf-8") == text + "\n"
    # Nothing committed, no branch: publishing never runs after a failed step.
    assert git("rev-parse", "HEAD", cwd=project) == head
    assert git("branch", "--format=%(refname:short)", cwd=project).split() == ["main"]


def test_no_update_available_does_nothing(releases: Path, tmp_path: Path) -> None:
    project = copy_project(releases, tmp_path / "project", ANSWERS, vcs_ref="v1.1.0")
    status, output, values = step(project, "check")
    assert status == 0, output
    assert values["available"] == "false"
    status, output, _ = step(project, "update", str(tmp_path / "report.md"))
    assert status == 0 and "nothing to do" in output
    assert git("status", "--porcelain", cwd=project) == ""
    assert not (tmp_path / "report.md").exists()


def _fake_gh(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(f"#!{sys.executable}{FAKE_GH}")
    gh.chmod(0o755)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "GH_CALLS": str(tmp_path / "gh-calls")}


def _calls(env: dict[str, Any]) -> list[list[str]]:
    """The argument lists `gh` was called with, in order."""
    return [json.loads(line) for line in Path(env["GH_CALLS"]).read_text().splitlines()]


def test_without_the_token_an_issue_says_which_secret_to_add(releases: Path, tmp_path: Path) -> None:
    project = project_at(releases, tmp_path / "project")
    report = tmp_path / "report.md"
    assert step(project, "update", str(report))[0] == 0
    env = _fake_gh(tmp_path)
    status, output, _ = step(project, "publish", str(report), "--title", "Template update 1.0.0 → 1.1.0", **env)
    assert status == 0, output
    listing, create = _calls(env)
    assert listing[:2] == ["issue", "list"]
    assert create[:4] == ["issue", "create", "--title", "Template update 1.0.0 → 1.1.0"]
    body = create[create.index("--body") + 1]
    assert body.startswith("## Template update 1.0.0 → 1.1.0")
    assert "`TEMPLATE_UPDATE_TOKEN` is not set" in body and "workflows write" in body
    assert git("branch", "--format=%(refname:short)", cwd=project).split() == ["main"]


def test_with_the_token_the_branch_is_pushed_and_a_pull_request_opened(releases: Path, tmp_path: Path) -> None:
    project = project_at(releases, tmp_path / "project")
    report = tmp_path / "report.md"
    assert step(project, "update", str(report))[0] == 0
    remote = tmp_path / "remote.git"
    git("init", "--quiet", "--bare", str(remote), cwd=tmp_path)
    env = {
        **_fake_gh(tmp_path),
        "TEMPLATE_UPDATE_TOKEN": "token-from-the-secret",
        "TEMPLATE_UPDATE_REMOTE": str(remote),
    }
    status, output, _ = step(project, "publish", str(report), "--title", "Template update 1.0.0 → 1.1.0", **env)
    assert status == 0, output
    listing, create = _calls(env)
    assert listing[:4] == ["pr", "list", "--head", "template-update"]
    assert create[:6] == ["pr", "create", "--head", "template-update", "--title", "Template update 1.0.0 → 1.1.0"]
    pushed = git("show", "template-update:README.md", cwd=remote)
    assert NEW_LINE in pushed
    assert "token-from-the-secret" not in output + json.dumps(_calls(env))


# ---- the Renovate path (template_updates: renovate) ---------------------------------------------------------

SHORTHAND = "gh:example-org/autogen-template"
EXPANDED = "https://github.com/example-org/autogen-template.git"


def _github_served_locally(releases: Path, tmp_path: Path) -> dict[str, str]:
    """An environment where git, and so copier, fetch `EXPANDED` from the local releases: nothing goes online."""
    return {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"url.{releases}.insteadOf",
        "GIT_CONFIG_VALUE_0": EXPANDED,
        "XDG_CACHE_HOME": str(tmp_path / "cache"),  # copier's mirror of the template
    }


def test_renovate_finds_the_template_and_updates_without_trust(releases: Path, tmp_path: Path) -> None:
    env = _github_served_locally(releases, tmp_path)
    project = tmp_path / "project"
    answers = {**ANSWERS, "template_updates": "renovate"}
    data = [f"--data={key}={value if isinstance(value, str) else json.dumps(value)}" for key, value in answers.items()]
    copier = [sys.executable, "-m", "copier"]
    subprocess.run(
        [*copier, "copy", "--quiet", "--defaults", "--vcs-ref=v1.0.0", *data, SHORTHAND, str(project)],
        env=env,
        check=True,
    )
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    # Renovate reads _src_path as a git URL: copier's gh: shorthand is stored as the URL copier expands it to.
    assert (answers["_src_path"], answers["_commit"]) == (EXPANDED, "v1.0.0")
    assert json.loads((project / ".github" / "renovate.json").read_text(encoding="utf-8"))["enabledManagers"] == [
        "copier"
    ]
    assert not (project / ".github" / "workflows" / "template-update.yml").exists()
    git("init", "--quiet", "--initial-branch=main", cwd=project)
    commit_all(project, "copier copy")

    # Renovate's copier manager: the template's tags, looked up with git at _src_path ...
    tags = subprocess.run(
        ["git", "ls-remote", "--tags", answers["_src_path"]], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert "refs/tags/v1.1.0" in tags
    # ... then its exact command (renovatebot/renovate lib/modules/manager/copier/artifacts.ts), without --trust.
    subprocess.run(
        [
            *copier,
            "update",
            "--skip-answered",
            "--defaults",
            "--answers-file",
            ".copier-answers.yml",
            "--vcs-ref",
            "v1.1.0",
        ],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
    )
    assert NEW_LINE in (project / "README.md").read_text(encoding="utf-8")
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert (answers["_src_path"], answers["_commit"]) == (EXPANDED, "v1.1.0")


def test_an_update_rewrites_an_earlier_answers_files_shorthand(releases: Path, tmp_path: Path) -> None:
    """Projects made by earlier releases hold copier's shorthand; their next update stores the URL."""
    env = _github_served_locally(releases, tmp_path)
    project = copy_project(releases, tmp_path / "project", ANSWERS, vcs_ref="v1.0.0")
    answers_file = project / ".copier-answers.yml"
    text = answers_file.read_text(encoding="utf-8")
    answers_file.write_text(text.replace(f"_src_path: {releases}", f"_src_path: {SHORTHAND}"), encoding="utf-8")
    assert yaml.safe_load(answers_file.read_text(encoding="utf-8"))["_src_path"] == SHORTHAND
    commit_all(project, "as an earlier release wrote it")
    copier = [sys.executable, "-m", "copier", "update", "--defaults", "--skip-answered"]
    subprocess.run(copier, cwd=project, env=env, check=True, capture_output=True)
    answers = yaml.safe_load(answers_file.read_text(encoding="utf-8"))
    assert (answers["_src_path"], answers["_commit"]) == (EXPANDED, "v1.1.0")
