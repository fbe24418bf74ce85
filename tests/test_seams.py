"""The vendor seams hold: a second protocol swaps in, and the generated package's vendor-neutral tests pass.

For each component with a seam, `tests/seams/<protocol>/` holds a second implementation of exactly the files
the generated README's "replace" table names: the wire module, its test-side twin and its own tests. The
swap test renders the package, overlays those files, proves nothing else changed, and runs the package's
ruff, mypy, pyright, tests (the vendor-neutral ones unchanged) and offline examples against the new protocol,
with both framework fronts: the AutoGen and the Agent Framework ones run the same second protocols.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from hooks.gates import EXAMPLE_DONE, tool_env, uv
from hooks.plan import component_folders
from tests.conftest import Render, python_or_skip

SEAMS = Path(__file__).parent / "seams"
SWAPS = {"model_client": "ollama", "tool": "search_post"}
"""Component -> the directory of `tests/seams/` holding its second protocol."""
NAME_ANSWERS = {
    "autogen_example": "package_name",
    "ExampleChatCompletionClient": "model_client_class",
    "ExampleSearchTool": "tool_class",
}
"""Names the seam files are written with -> the answer they stand for in a render with other names."""


ALLOWED_SKIPS = {
    "the control speaks OpenAI's API only",
    "the wire format has no declined answer",
    "the wire format cannot make the model call one given tool",
}
"""Why a test of the swapped package may skip: the second protocols cannot express everything OpenAI's can."""


def seam_files(component: str) -> list[str]:
    """The project paths (with `PACKAGE` for the package directory) a component's second protocol replaces."""
    root = SEAMS / SWAPS[component]
    return sorted(str(path.relative_to(root)) for path in root.rglob("*.py"))


def overlay(project: Path, component: str, answers: dict[str, str]) -> list[str]:
    """Write the second protocol's files over the project's; return the project paths written."""
    written = []
    for relative in seam_files(component):
        text = (SEAMS / SWAPS[component] / relative).read_text(encoding="utf-8")
        for name, answer in NAME_ANSWERS.items():
            text = text.replace(name, answers[answer])
        target = relative.replace("PACKAGE", answers["package_name"])
        (project / target).write_text(text, encoding="utf-8")
        written.append(target)
    return written


def tree_hashes(project: Path) -> dict[str, str]:
    return {
        str(path.relative_to(project)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in project.rglob("*")
        if path.is_file()
    }


def replace_rows(readme: str) -> set[str]:
    """The files a README's "replace / keep" tables say to replace for another vendor."""
    return set(re.findall(r"^\| `([^`]+)` \| \*\*replace\*\*", readme, flags=re.MULTILINE))


def test_the_readme_names_exactly_the_seam_files(render_project: Render) -> None:
    project = render_project({"components": list(SWAPS)})
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    expected = {
        path.replace("PACKAGE", answers["package_name"]) for component in SWAPS for path in seam_files(component)
    }
    assert replace_rows((project / "README.md").read_text(encoding="utf-8")) == expected
    for path in expected:
        assert (project / path).is_file(), f"the README names {path}, which the package does not have"


def _run(project: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=project, env=tool_env(project / ".venv"), capture_output=True, text=True, timeout=600, check=False
    )


@pytest.mark.gates
def test_second_protocols_swap_in_and_the_vendor_neutral_tests_pass(render_project: Render) -> None:
    python = python_or_skip("3.12")
    answers_in = {
        "components": list(SWAPS),
        "frameworks": ["autogen", "agent_framework"],  # both fronts must run the second protocols
        # Names other than the seam files were written with: the overlay must follow the answers.
        "package_name": "seam_check",
        "model_client_class": "SeamChatClient",
        "tool_class": "SeamSearchTool",
    }
    project = render_project(answers_in)
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    before = tree_hashes(project)
    written = [path for component in SWAPS for path in overlay(project, component, answers)]
    after = tree_hashes(project)
    changed = {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}
    assert changed == set(written), "the swap must replace exactly the seam files, and each of them"
    assert set(written) <= set(before), "the swap adds no file: it replaces the generated ones"

    install = subprocess.run(
        [uv(), "sync", "--python", python, "--quiet"], cwd=project, env=tool_env(None), capture_output=True, text=True
    )
    assert install.returncode == 0, install.stdout + install.stderr
    for argv in (
        ["ruff", "check", "--no-cache", "."],
        ["ruff", "format", "--no-cache", "--check", "."],
        ["mypy"],
        ["pyright"],
    ):
        proc = _run(project, argv)
        assert proc.returncode == 0, f"{' '.join(argv)} failed on the swapped package:\n{proc.stdout}{proc.stderr}"
    tests = [f"tests/{component_folders()[component]}" for component in SWAPS]
    proc = _run(project, ["python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", *tests])
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert " passed" in output, output
    # Skipped only where the second API cannot do what a test asks (as its wire format says), or for the control
    # client, which speaks OpenAI's API only.
    reasons = set(re.findall(r"^SKIPPED \[\d+\] [^:]+:\d+: (.*)$", output, flags=re.MULTILINE))
    assert reasons <= ALLOWED_SKIPS, output
    for component in SWAPS:  # each swapped component's offline examples, both fronts, against the new protocol
        for example_name in (f"{component}.py", f"{component}_agent_framework.py"):
            example = _run(project, ["python", f"examples/{example_name}"])
            output = example.stdout + example.stderr
            assert EXAMPLE_DONE in example.stdout and "is_error=True" not in example.stdout, output
