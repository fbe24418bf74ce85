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


# Characters Windows forbids in a file name (and names it reserves): a template path holding one cannot be
# checked out there, so copier cannot even clone the template on Windows.
WINDOWS_FORBIDDEN = re.compile(r'[<>:"\\|?*\x00-\x1f]')
WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)


def test_every_template_path_can_be_checked_out_on_windows() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    names = {part for path in tracked if path for part in path.split("/")}
    assert len(names) > 100, "git listed almost nothing: the check would prove nothing"
    bad = sorted(n for n in names if WINDOWS_FORBIDDEN.search(n) or WINDOWS_RESERVED.match(n) or n.endswith((" ", ".")))
    assert not bad, f"names Windows cannot hold: {bad}"
