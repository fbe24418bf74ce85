"""The generated GitHub workflows, and this repository's own, are valid, hardened and consistent.

Checked for two renders (the default answers; ``python_min=3.12`` without docs) and for this repository's
``.github/workflows``:

- schema: check-jsonschema's vendored GitHub workflow and Dependabot schemas (offline, nothing downloaded);
- security: ``zizmor --offline`` reports nothing at medium severity or higher;
- invariants: the test matrix, ``requires-python`` and the classifiers agree with ``python_versions``; every
  action is pinned to a commit SHA with a ``# vX.Y.Z`` comment, and the pins are includes/actions.jinja's;
  least-privilege permissions; release.yml publishes by trusted publishing only.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from hooks.answers import raw_config
from hooks.render import render
from hooks.toml import toml
from tests.conftest import REPO_ROOT, dev_tool, include_constants

RENDERS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "py3.12-no-docs": {"python_min": "3.12", "docs": False},
    "agent-framework": {"frameworks": ["autogen", "agent_framework"]},
    "agent-framework-only": {"frameworks": ["agent_framework"], "components": ["tool"]},
    "renovate": {"template_updates": "renovate", "components": ["tool"]},
    "no-template-updates": {"template_updates": "none", "components": ["tool"]},
}
TARGETS = [*RENDERS, "repository"]
PYTHONS: list[str] = list(raw_config()["python_min"]["choices"])
NEWEST = PYTHONS[-1]
PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<value>.*?)\s*$")


# ---- helpers -------------------------------------------------------------------------------------------


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "GITHUB_TOKEN", "ZIZMOR_GITHUB_TOKEN")}
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False, env=env)


def _workflows(root: Path) -> list[Path]:
    return sorted((root / ".github" / "workflows").glob("*.y*ml"))


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    if True in data:  # YAML 1.1 reads the key `on` as a boolean
        data["on"] = data.pop(True)
    return data


def _steps(workflow: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, step


def _job_text(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) for step in job.get("steps", []))


def _setup_uv_python(job: dict[str, Any]) -> Any:
    (step,) = [s for s in job["steps"] if str(s.get("uses", "")).startswith("astral-sh/setup-uv@")]
    return (step.get("with") or {}).get("python-version")


def _python_versions(answers: dict[str, Any]) -> list[str]:
    python_min = answers.get("python_min", raw_config()["python_min"]["default"])
    return PYTHONS[PYTHONS.index(python_min) :]


# ---- fixtures ------------------------------------------------------------------------------------------


class _Renders(dict[str, Path]):
    """RENDERS[name] rendered on first use, then reused."""

    def __init__(self, template_source: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
        super().__init__()
        self._source, self._tmp = template_source, tmp_path_factory

    def __missing__(self, name: str) -> Path:
        self[name] = render(RENDERS[name], self._tmp.mktemp(name), source=self._source)
        return self[name]


@pytest.fixture(scope="module")
def rendered(template_source: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each of RENDERS rendered once per module (and xdist worker), as render_project renders: no trust."""
    return _Renders(template_source, tmp_path_factory)


def _root(target: str, rendered: dict[str, Path]) -> Path:
    return REPO_ROOT if target == "repository" else rendered[target]


# ---- schema and security -------------------------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_workflows_match_the_github_schemas(target: str, rendered: dict[str, Path]) -> None:
    root = _root(target, rendered)
    workflows = _workflows(root)
    assert workflows, f"no workflows in {root}/.github/workflows"
    checks = [
        ("vendor.github-workflows", workflows),
        ("custom.github-workflows-require-timeout", workflows),
    ]
    dependabot = root / ".github" / "dependabot.yml"
    if target != "repository":
        assert dependabot.is_file()
    if dependabot.is_file():
        checks.append(("vendor.dependabot", [dependabot]))
    for schema, files in checks:
        proc = _run([dev_tool("check-jsonschema"), "--builtin-schema", schema, *map(str, files)])
        assert proc.returncode == 0, f"{schema}:\n{proc.stdout}{proc.stderr}"


@pytest.mark.parametrize("target", TARGETS)
def test_zizmor_finds_nothing_at_medium_or_higher(target: str, rendered: dict[str, Path]) -> None:
    root = _root(target, rendered)
    inputs = [root / ".github"] if target == "repository" else [root]
    argv = [dev_tool("zizmor"), "--offline", "--strict-collection", "--no-progress", "--color=never"]
    proc = _run([*argv, "--min-severity", "medium", *map(str, inputs)])
    assert proc.returncode == 0, f"zizmor findings:\n{proc.stdout}\n{proc.stderr}"
    # It audited every workflow (an input it did not collect would pass vacuously).
    for workflow in _workflows(root):
        assert workflow.name in proc.stderr, f"zizmor did not audit {workflow.name}:\n{proc.stderr}"


# ---- pins ----------------------------------------------------------------------------------------------


def test_pins_are_full_commit_shas_with_a_version_comment() -> None:
    pins = include_constants("actions")
    assert {"CHECKOUT", "SETUP_UV", "UPLOAD_ARTIFACT", "DOWNLOAD_ARTIFACT", "ATTEST_BUILD_PROVENANCE"} <= set(pins)
    assert "PYPI_PUBLISH" in pins
    for name, pin in pins.items():
        assert PIN.match(pin), f"{name} = {pin!r} is not 'owner/action@<40 hex> # vX.Y.Z'"
    actions = [pin.split("@")[0] for pin in pins.values()]
    assert len(actions) == len(set(actions)), "one pin per action"


@pytest.mark.parametrize("target", TARGETS)
def test_every_action_is_pinned_from_includes(target: str, rendered: dict[str, Path]) -> None:
    pins = set(include_constants("actions").values())
    for path in _workflows(_root(target, rendered)):
        lines = [m["value"] for m in map(USES_LINE.match, path.read_text(encoding="utf-8").splitlines()) if m]
        parsed = [step["uses"] for _, step in _steps(_load(path)) if "uses" in step]
        assert len(lines) == len(parsed), f"{path.name}: a `uses:` that is not one step per line"
        for value in lines:
            assert PIN.match(value), f"{path.name}: {value!r} is not pinned to a SHA with a # vX.Y.Z comment"
            assert value in pins, f"{path.name}: {value!r} differs from includes/actions.jinja"


# ---- hardening shared by every workflow ----------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_least_privilege_and_hygiene(target: str, rendered: dict[str, Path]) -> None:
    for path in _workflows(_root(target, rendered)):
        workflow = _load(path)
        assert workflow.get("permissions") == {}, f"{path.name}: top-level permissions must be {{}}"
        assert "concurrency" in workflow, f"{path.name}: no concurrency group"
        text = path.read_text(encoding="utf-8")
        # The one secret: the token the template-update job pushes and opens pull requests with, if set.
        allowed = {"${{ secrets.TEMPLATE_UPDATE_TOKEN }}"} if path.name == "template-update.yml" else set()
        assert set(re.findall(r"\$\{\{\s*secrets\.[^}]*\}\}", text)) <= allowed, f"{path.name} references a secret"
        assert text.count("secrets.") == len(re.findall(r"\$\{\{\s*secrets\.[^}]*\}\}", text))
        assert "pull_request_target" not in text and "workflow_run" not in text
        for job_id, job in workflow["jobs"].items():
            assert isinstance(job.get("timeout-minutes"), int), f"{path.name}:{job_id} has no timeout"
            assert "permissions" in job, f"{path.name}:{job_id} relies on default permissions"
        for job_id, step in _steps(workflow):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False, f"{path.name}:{job_id}"


# ---- the generated CI ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(RENDERS))
def test_ci_agrees_with_the_answers(name: str, rendered: dict[str, Path]) -> None:
    answers, project = RENDERS[name], rendered[name]
    versions = _python_versions(answers)
    python_min = versions[0]
    ci = _load(project / ".github" / "workflows" / "ci.yml")
    jobs = ci["jobs"]

    assert set(ci["on"]) == {"push", "pull_request", "workflow_dispatch"}
    assert ci["on"]["push"] == {"branches": ["main"]}
    assert ci["concurrency"]["cancel-in-progress"] is True
    for job_id, job in jobs.items():
        assert job["permissions"] == {"contents": "read"}, job_id

    # One Linux job per supported Python, plus the newest on Windows and macOS.
    matrix = jobs["test"]["strategy"]["matrix"]
    assert matrix["os"] == ["ubuntu-latest"]
    assert matrix["python-version"] == versions
    assert {(i["os"], i["python-version"]) for i in matrix["include"]} == {
        ("windows-latest", NEWEST),
        ("macos-latest", NEWEST),
    }
    assert "uv run pytest" in _job_text(jobs["test"])

    # pyproject.toml says the same.
    project_table = toml.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project_table["requires-python"] == f">={python_min}"
    prefix = "Programming Language :: Python :: "
    classified = [c[len(prefix) :] for c in project_table["classifiers"] if re.fullmatch(r"3\.\d+", c[len(prefix) :])]
    assert classified == versions

    assert "uv run ruff check" in _job_text(jobs["lint"])
    assert "uv run ruff format --check" in _job_text(jobs["lint"])
    assert "uv run mypy" in _job_text(jobs["typecheck"])
    assert "uv run pyright" in _job_text(jobs["typecheck"])

    # The lowest direct dependencies, on python_min, with autogen-core at its declared lower bound.
    lowest = _job_text(jobs["lowest"])
    assert "--resolution lowest-direct" in lowest
    assert "pytest" in lowest
    assert _setup_uv_python(jobs["lowest"]) == python_min
    assert "--all-extras" in lowest, "extras' lower bounds are direct dependencies too"
    extras = project_table.get("optional-dependencies", {})
    requirements = [*project_table["dependencies"], *(r for group in extras.values() for r in group)]
    for distribution in ("autogen-core", "agent-framework-core"):
        declared = [r for r in requirements if r.startswith(distribution)]
        floor = re.search(r">=([\w.]+)", declared[0]) if declared else None
        checked = floor is not None and f"version('{distribution}')" in lowest and f"v == '{floor[1]}'" in lowest
        assert checked == bool(declared), f"the lowest job must check {distribution}'s declared floor"

    # Agent Framework: a job with only the package and its extra installed runs what needs no AutoGen.
    agent_framework = "agent_framework" in answers.get("frameworks", ["autogen"])
    assert ("agent-framework-only" in jobs) == agent_framework
    components = answers.get("components", ["model_client", "code_executor", "tool", "memory"])
    mcp_server = bool(set(components) - {"model_client"})
    if agent_framework:
        alone = _job_text(jobs["agent-framework-only"])
        assert f'uv pip install ".[agent-framework{",mcp" if mcp_server else ""}]"' in alone
        assert "--group" not in alone and "uv sync" not in alone, "the dev group would bring AutoGen's agentchat"
        assert "tests/test_framework_free.py tests/test_framework_fronts.py" in alone
        assert "examples/*_agent_framework.py" in alone

    # The MCP server: its tests again on the SDK major the dev group does not install (decision 0003).
    assert ("mcp-other-major" in jobs) == mcp_server
    if mcp_server:
        deps = include_constants("deps")
        other = deps["MCP_2"] if "autogen" in answers.get("frameworks", ["autogen"]) else deps["MCP_1"]
        dev = toml.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["dependency-groups"]["dev"]
        assert other not in dev, "the job must test the major the dev group leaves out"
        assert f'uv run --with "{other}" pytest tests/mcp_server' in _job_text(jobs["mcp-other-major"])

    build = _job_text(jobs["build"])
    assert "uv build" in build
    assert "uvx twine check --strict dist/*" in build
    package = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8")).get(
        "package_name", "autogen_example"
    )
    assert f'"{package}/py.typed"' in build
    assert ".dist-info/licenses/LICENSE" in build
    assert "tests/" in build

    docs = answers.get("docs", True)
    assert ("docs" in jobs) == docs
    if docs:
        assert "uv run --group docs zensical build --strict" in _job_text(jobs["docs"])


@pytest.mark.parametrize("name", list(RENDERS))
def test_release_uses_trusted_publishing_only(name: str, rendered: dict[str, Path]) -> None:
    project = rendered[name]
    path = project / ".github" / "workflows" / "release.yml"
    text = path.read_text(encoding="utf-8")
    assert "secrets." not in text
    assert "password:" not in text
    assert "api-token" not in text.lower() and "PYPI_TOKEN" not in text

    release = _load(path)
    assert release["on"] == {"release": {"types": ["published"]}}
    assert release["concurrency"]["cancel-in-progress"] is False
    pins = include_constants("actions")
    build, publish = release["jobs"]["build"], release["jobs"]["publish"]

    assert build["permissions"] == {"contents": "read", "id-token": "write", "attestations": "write"}
    build_uses = [step.get("uses") for step in build["steps"]]
    assert pins["ATTEST_BUILD_PROVENANCE"].split(" #")[0] in build_uses
    assert pins["UPLOAD_ARTIFACT"].split(" #")[0] in build_uses
    assert "uv build" in _job_text(build)
    assert "uvx twine check --strict dist/*" in _job_text(build)
    (setup_uv,) = [s for s in build["steps"] if str(s.get("uses", "")).startswith("astral-sh/setup-uv@")]
    assert setup_uv["with"]["enable-cache"] is False, "a release must not restore a cache"

    distribution = toml.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]["name"]
    assert publish["needs"] == "build"
    assert publish["environment"] == {"name": "pypi", "url": f"https://pypi.org/p/{distribution}"}
    assert publish["permissions"] == {"id-token": "write"}
    publish_steps = {step["uses"].split("@")[0]: step for step in publish["steps"]}
    assert set(publish_steps) == {"actions/download-artifact", "pypa/gh-action-pypi-publish"}
    assert not (publish_steps["pypa/gh-action-pypi-publish"].get("with") or {}), "trusted publishing needs no input"
    # Only the two release jobs hold an OIDC token, and only the build job can write attestations.
    for job_id, job in release["jobs"].items():
        if job_id not in ("build", "publish"):
            assert "id-token" not in job["permissions"] and "attestations" not in job["permissions"]


@pytest.mark.parametrize("name", list(RENDERS))
def test_dependabot_and_pre_commit(name: str, rendered: dict[str, Path]) -> None:
    project = rendered[name]
    dependabot = yaml.safe_load((project / ".github" / "dependabot.yml").read_text(encoding="utf-8"))
    assert dependabot["version"] == 2
    updates = {u["package-ecosystem"]: u for u in dependabot["updates"]}
    assert set(updates) == {"github-actions", "uv"}
    for update in updates.values():
        assert update["directory"] == "/"
        assert update["schedule"]["interval"] == "weekly"
        assert update["groups"], "updates are grouped"

    config = yaml.safe_load((project / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    repos = {repo["repo"]: repo for repo in config["repos"]}
    expected = {
        "https://github.com/astral-sh/ruff-pre-commit": {"ruff-check", "ruff-format"},
        "https://github.com/pre-commit/pre-commit-hooks": {
            "trailing-whitespace",
            "end-of-file-fixer",
            "check-yaml",
            "check-toml",
            "check-merge-conflict",
            "check-added-large-files",
        },
        "https://github.com/abravalheri/validate-pyproject": {"validate-pyproject"},
        "https://github.com/codespell-project/codespell": {"codespell"},
        "https://github.com/zizmorcore/zizmor-pre-commit": {"zizmor"},
    }
    assert set(repos) == {*expected, "local"}
    for url, hooks in expected.items():
        assert re.fullmatch(r"v\d+(\.\d+)+", str(repos[url]["rev"])), f"{url}: rev must be a release tag"
        assert {hook["id"] for hook in repos[url]["hooks"]} == hooks
    # The drift guard: copier update leaves conflict markers with no git merge in progress, where
    # check-merge-conflict looks only when told to; and .rej files, which a `fail` hook refuses to commit.
    (merge_conflict,) = [
        h for h in repos["https://github.com/pre-commit/pre-commit-hooks"]["hooks"] if h["id"] == "check-merge-conflict"
    ]
    assert merge_conflict["args"] == ["--assume-in-merge"]
    (rejects,) = repos["local"]["hooks"]
    assert (rejects["language"], rejects["files"]) == ("fail", r"\.rej$")
    assert re.search(rejects["files"], "src/package/models/_wire_format.py.rej")


def _drift_guard(project: Path) -> str:
    """The shell of CI's step that refuses the leftovers of a template update."""
    ci = _load(project / ".github" / "workflows" / "ci.yml")
    (step,) = [step for step in ci["jobs"]["lint"]["steps"] if step.get("name") == "No leftovers of a template update"]
    return str(step["run"])


def test_the_drift_guard_refuses_conflict_markers_and_rej_files(rendered: dict[str, Path], tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(rendered["defaults"], project)
    script = _drift_guard(project)
    git = ["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@example.com"]

    def guard() -> subprocess.CompletedProcess[str]:
        subprocess.run([*git, "add", "-A"], check=True, capture_output=True)
        return subprocess.run(["bash", "-e", "-c", script], cwd=project, capture_output=True, text=True, check=False)

    subprocess.run([*git, "init", "-q"], check=True, capture_output=True)
    clean = guard()
    assert clean.returncode == 0, clean.stdout + clean.stderr

    (project / "pyproject.toml.rej").write_text("@@ -1 +1 @@\n-old\n+new\n", encoding="utf-8")
    rejected = guard()
    assert rejected.returncode == 1
    assert "pyproject.toml.rej" in rejected.stdout and ".rej files" in rejected.stdout

    (project / "pyproject.toml.rej").unlink()
    readme = project / "README.md"
    readme.write_text("<<<<<<< before updating\nold\n=======\nnew\n>>>>>>> after updating\n" + readme.read_text())
    conflicted = guard()
    assert conflicted.returncode == 1
    assert "README.md:1:<<<<<<< before updating" in conflicted.stdout
    assert "README.md:5:>>>>>>> after updating" in conflicted.stdout
    assert "conflict markers" in conflicted.stdout


# ---- how template updates arrive: the workflow, Renovate, or neither -------------------------------------

UPDATE_FILES = {
    "workflow": {".github/workflows/template-update.yml", ".github/template_update.py"},
    "renovate": {".github/renovate.json"},
    "none": set(),
}


@pytest.mark.parametrize(
    ("name", "choice"), [("defaults", "workflow"), ("renovate", "renovate"), ("no-template-updates", "none")]
)
def test_one_way_for_template_updates(name: str, choice: str, rendered: dict[str, Path]) -> None:
    project = rendered[name]
    present = {path for path in set().union(*UPDATE_FILES.values()) if (project / path).is_file()}
    assert present == UPDATE_FILES[choice]


def _vendored_renovate_schema() -> dict[str, Any]:
    """The Renovate schema check-jsonschema ships (vendor.renovate), for what the schema leaves open."""
    import check_jsonschema

    path = Path(check_jsonschema.__file__).parent / "builtin_schemas" / "vendor" / "renovate.json"
    return dict(json.loads(path.read_text(encoding="utf-8")))


def test_renovate_config_validates_and_runs_the_copier_manager_only(rendered: dict[str, Path], tmp_path: Path) -> None:
    path = rendered["renovate"] / ".github" / "renovate.json"
    check = [dev_tool("check-jsonschema"), "--builtin-schema", "vendor.renovate"]
    proc = _run([*check, str(path)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    config = json.loads(path.read_text(encoding="utf-8"))
    # The schema lets unknown top-level keys through (Renovate only warns and ignores them): refuse them here.
    known = {"$schema", *_vendored_renovate_schema()["properties"]}
    assert set(config) <= known, f"keys Renovate does not know: {set(config) - known}"
    assert config["enabledManagers"] == ["copier"], "Dependabot keeps actions and Python: copier only"
    # The same check fails a config with a manager Renovate does not have: it can fail.
    wrong = tmp_path / "renovate.json"
    wrong.write_text(json.dumps({**config, "enabledManagers": ["copyer"]}), encoding="utf-8")
    assert _run([*check, str(wrong)]).returncode != 0


def test_update_paths_install_the_copier_this_suite_runs(rendered: dict[str, Path]) -> None:
    """The workflow's copier and Renovate's are includes/deps.jinja's COPIER, the one pinned here."""
    dev = toml.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["dependency-groups"]["dev"]
    (pinned,) = [requirement for requirement in dev if requirement.startswith("copier==")]
    workflow = _load(rendered["defaults"] / ".github" / "workflows" / "template-update.yml")
    assert workflow["jobs"]["update"]["env"]["COPIER"] == f"uvx --from {pinned} copier"
    renovate = json.loads((rendered["renovate"] / ".github" / "renovate.json").read_text(encoding="utf-8"))
    assert renovate["constraints"]["copier"] == pinned.removeprefix("copier")


def test_no_ci_means_no_github_directory(template_source: Path, tmp_path: Path) -> None:
    project = render({"ci": "none"}, tmp_path / "no-ci", source=template_source)
    assert not (project / ".github").exists()
    assert (project / ".pre-commit-config.yaml").is_file(), "pre-commit does not depend on the CI choice"


# ---- this repository's own CI --------------------------------------------------------------------------


def test_repository_ci_fans_the_matrix_out() -> None:
    ci = _load(REPO_ROOT / ".github" / "workflows" / "ci.yml")
    assert {"push", "pull_request", "schedule", "workflow_dispatch"} <= set(ci["on"])
    assert ci["on"]["push"] == {"branches": ["main"]}
    lane = ci["env"]["MATRIX_LANE"]
    assert "pull_request" in lane and "'fast'" in lane and "'full'" in lane, "fast lane on PRs, full otherwise"
    jobs = ci["jobs"]
    for job_id, job in jobs.items():
        assert job["permissions"] == {"contents": "read"}, job_id

    test = jobs["test"]
    matrix = test["strategy"]["matrix"]
    assert matrix["python"] == PYTHONS
    slices = matrix["slice"]
    assert slices == list(range(1, len(slices) + 1)) and len(slices) > 1
    assert test["env"]["MATRIX_SLICE"] == f"${{{{ matrix.slice }}}}/{len(slices)}"

    min_copier = raw_config()["_min_copier_version"]
    runs = {job_id: _job_text(job) for job_id, job in jobs.items()}
    assert any(f"--with copier=={min_copier} pytest -n auto" in text for text in runs.values()), (
        f"no job runs the suite with the minimum copier {min_copier}"
    )
    assert sum("pytest -n auto" in text for text in runs.values()) >= 3, "matrix, oldest and newest copier"
    assert any("zensical build --strict" in text for text in runs.values())
