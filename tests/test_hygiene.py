"""Generated projects pass scientific-python's sp-repo-review, except the checks docs/hygiene.md lists as
deliberate, and their own pre-commit spell check."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from tests.conftest import REPO_ROOT, Render, dev_tool

DELIBERATE = REPO_ROOT / "docs" / "hygiene.md"


def documented_exceptions() -> set[str]:
    """The check ids in the first column of docs/hygiene.md's table."""
    rows = [line for line in DELIBERATE.read_text(encoding="utf-8").splitlines() if line.startswith("| `")]
    return {code for row in rows for code in re.findall(r"`([A-Z]+\d+)`", row.split("|")[1])}


def failing_checks(project: Path) -> set[str]:
    proc = subprocess.run(
        [dev_tool("repo-review"), "--format", "json", str(project)], capture_output=True, text=True, check=False
    )
    assert proc.stdout, proc.stderr
    checks = json.loads(proc.stdout)["checks"]
    assert len(checks) > 50, "repo-review ran almost no checks: it would prove nothing"
    return {code for code, check in checks.items() if check["result"] is False}


def test_repo_review_fails_exactly_the_documented_checks(render_project: Render) -> None:
    assert documented_exceptions(), "docs/hygiene.md lists no exceptions: the table was not parsed"
    assert failing_checks(render_project({})) == documented_exceptions()


def test_generated_project_passes_its_spell_check(full_package: Path) -> None:
    proc = subprocess.run([dev_tool("codespell"), str(full_package)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
