"""The template's own code meets the bar it sets for generated code."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import REPO_ROOT, dev_tool

OWN_CODE = ["hooks", "tests", "benchmarks"]


@pytest.mark.parametrize("argv", [["check"], ["format", "--check"]], ids=["ruff-check", "ruff-format"])
def test_own_code_passes_ruff(argv: list[str]) -> None:
    ruff = dev_tool("ruff")
    proc = subprocess.run(
        [str(ruff), *argv, "--no-cache", *OWN_CODE], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
