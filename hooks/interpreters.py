"""Finds CPython interpreters without downloading any (``UV_PYTHON_DOWNLOADS=never``).

uv finds interpreters on ``PATH``; pyenv keeps the others under ``$PYENV_ROOT/versions`` where only the
global version has a working shim. Both places are searched, so every installed supported Python is used and a
missing one is reported as ``None`` (callers skip cleanly).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path


def _reports_version(executable: str, version: str) -> bool:
    try:
        out = subprocess.run(
            [executable, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and out.stdout.strip() == version


@functools.cache
def find_python(version: str) -> str | None:
    """Absolute path of a working ``python{version}``, or None when this machine has none."""
    candidates: list[str] = []
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += [str(p) for p in sorted((pyenv_root / "versions").glob(f"{version}*/bin/python{version}"))]
    on_path = shutil.which(f"python{version}")
    if on_path:
        candidates.append(on_path)
    for candidate in candidates:
        if _reports_version(candidate, version):
            return candidate
    return None


if __name__ == "__main__":
    from hooks.answers import supported_pythons

    for version in supported_pythons():
        print(version, find_python(version) or "not found")
