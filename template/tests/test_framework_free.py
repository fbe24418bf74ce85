"""The seams belong to no agent framework: their tests pass where neither AutoGen nor Agent Framework imports.

Every test module marked `pytestmark = pytest.mark.framework_free` (the vendor modules' own tests, and the
vendor-neutral core's) runs again here, in a fresh interpreter where `tests/framework_free.py` makes every
framework unimportable. The component's `conftest.py` is loaded too, so it may import a framework only
inside the fixtures that need one.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.framework_free import BLOCKED

TESTS = Path(__file__).parent
MARK = "pytestmark = pytest.mark.framework_free"


def framework_free_modules() -> list[Path]:
    # A whole line, so this file, which names the mark in a string, is not one of them (it would run itself).
    return sorted(path for path in TESTS.rglob("test_*.py") if MARK in path.read_text(encoding="utf-8").splitlines())


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *argv], cwd=TESTS.parent, capture_output=True, text=True, timeout=600, check=False
    )


def test_every_component_has_framework_free_tests() -> None:
    components = sorted(path.parent for path in TESTS.glob("*/__init__.py"))
    assert components, "no component test folders found"
    covered = {path.parent for path in framework_free_modules()}
    assert [folder.name for folder in components if folder not in covered] == []


def test_the_plugin_really_blocks_every_framework() -> None:
    probe = "import importlib, tests.framework_free as f\nf.install()\nfor name in f.BLOCKED:\n"
    probe += "    try:\n        importlib.import_module(name)\n    except ModuleNotFoundError:\n        print(name)\n"
    proc = run("-c", probe)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.split() == list(BLOCKED)


def test_the_seams_pass_with_every_framework_blocked() -> None:
    modules = [str(path.relative_to(TESTS.parent)) for path in framework_free_modules()]
    proc = run("-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.framework_free", *modules)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert " passed" in output, output
