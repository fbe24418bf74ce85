"""The two virtual environments the interop lane runs in, created with uv and cached between runs.

- **proxy**: LiteLLM's proxy, pinned with its whole dependency tree in `litellm-requirements.txt` (resolved
  from `litellm[proxy]==LITELLM_VERSION`). It lives in its own environment because it pins hundreds of
  packages that have nothing to do with the generated package.
- **clients**: the rendered package's dependencies and dev group, plus the controls pinned
  (`CONTROL_REQUIREMENTS`: autogen-ext's and Agent Framework's OpenAI clients). The rendered package itself
  is installed on every run (without dependencies, offline) into a small environment of the run's own
  layered over the cached one, so template edits are always what is tested while the dependencies stay
  cached.

Each environment sits under `cache_root()` in a directory named after a hash of what it holds, so a changed
pin builds a new one and an unchanged one is reused (a warm run installs nothing and never reaches the
network). Creation is serialised by a file lock, because pytest-xdist workers may ask at the same moment.

    uv run python -m tests.interop.environments           # prepare both (what .ci/run does before the suite)
    uv run python -m tests.interop.environments --lock    # re-resolve litellm-requirements.txt after a bump
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from hooks.gates import tool_env, uv
from hooks.interpreters import find_python
from hooks.toml import toml

HERE = Path(__file__).resolve().parent
LITELLM_VERSION = "1.106.12"
LITELLM_REQUIREMENTS = HERE / "litellm-requirements.txt"
AUTOGEN_EXT = "0.7.5"
AGENT_FRAMEWORK_CORE = "1.23.0"
AGENT_FRAMEWORK_OPENAI = "1.17.0"
CONTROL_REQUIREMENTS = (
    f"autogen-ext[openai]=={AUTOGEN_EXT}",
    f"autogen-agentchat=={AUTOGEN_EXT}",
    f"agent-framework-core=={AGENT_FRAMEWORK_CORE}",
    f"agent-framework-openai=={AGENT_FRAMEWORK_OPENAI}",
)
"""The controls, pinned: autogen-ext's OpenAI client, and Agent Framework's own (with the core it was tested on)."""
# Interpreters tried in order; LiteLLM and autogen-ext both support each of them.
PYTHONS = ("3.12", "3.13", "3.11", "3.10")
READY_MARKER = ".interop-ready"
INSTALL_TIMEOUT = 900
# Bump to rebuild every cached environment (e.g. after changing how they are built).
LAYOUT = 1


class EnvironmentSetupError(RuntimeError):
    """An interop environment could not be created; the message says what failed and how to fix it."""


def cache_root() -> Path:
    """Where environments are kept: `$INTEROP_CACHE_DIR`, else `~/.cache/copier-autogen-extension/interop`."""
    configured = os.environ.get("INTEROP_CACHE_DIR")
    if configured:
        return Path(configured)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "copier-autogen-extension" / "interop"


def interpreter() -> str:
    """The first supported CPython installed here (never downloaded)."""
    for version in PYTHONS:
        found = find_python(version)
        if found:
            return found
    raise EnvironmentSetupError(f"no CPython {' / '.join(PYTHONS)} found (uv or pyenv); install one to run the lane")


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(argv: Sequence[str], what: str, *, venv: Path | None = None) -> None:
    try:
        proc = subprocess.run(
            list(argv), env=tool_env(venv), capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise EnvironmentSetupError(f"{what}: timed out after {INSTALL_TIMEOUT}s ({' '.join(argv)})") from exc
    if proc.returncode != 0:
        raise EnvironmentSetupError(
            f"{what} failed (exit {proc.returncode}): $ {' '.join(argv)}\n{(proc.stdout + proc.stderr)[-4000:]}\n"
            "The first run installs from PyPI; later runs reuse the cached environment under "
            f"{cache_root()} offline. Fix the network or the pins, then run "
            "`uv run python -m tests.interop.environments`."
        )


def ensure_environment(name: str, requirements: Sequence[str] = (), *, files: Sequence[Path] = ()) -> Path:
    """A cached virtual environment holding `requirements` and the requirement `files`."""
    python = interpreter()
    content = [list(requirements), [path.read_text() for path in files]]
    key = hashlib.sha256(json.dumps([LAYOUT, python, content]).encode()).hexdigest()[:16]
    venv = cache_root() / f"{name}-{key}"
    with file_lock(cache_root() / f"{name}-{key}.lock"):
        if (venv / READY_MARKER).exists():
            return venv
        shutil.rmtree(venv, ignore_errors=True)  # a half-built one from an interrupted run
        _run([uv(), "venv", "--quiet", "--python", python, str(venv)], f"creating the {name} environment")
        # Bytecode compiled once here: LiteLLM imports ~2,800 modules, and every run would recompile them
        # (the suite runs with PYTHONDONTWRITEBYTECODE=1), doubling the proxy's start-up time.
        install = [uv(), "pip", "install", "--quiet", "--compile-bytecode", "--python", str(venv_python(venv))]
        sources = [arg for path in files for arg in ("-r", str(path))]
        _run([*install, *sources, *requirements], f"installing the {name} environment")
        (venv / READY_MARKER).write_text(json.dumps(content) + "\n")
    return venv


def proxy_environment() -> Path:
    """The environment holding LiteLLM's proxy (`bin/litellm`)."""
    return ensure_environment(f"litellm-{LITELLM_VERSION}", files=[LITELLM_REQUIREMENTS])


def project_requirements(project: Path) -> list[str]:
    """What a rendered project's own tests need: dependencies, dev group, and its build backend."""
    data = toml.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    dev = [item for item in data.get("dependency-groups", {}).get("dev", []) if isinstance(item, str)]
    return [*data["project"]["dependencies"], *dev, *data["build-system"]["requires"]]


def site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3.*/site-packages"))


def clients_environment(project: Path, workdir: Path) -> Path:
    """An environment in `workdir` holding the rendered package, over the cached one with its dependencies.

    The package goes into a small environment of this run's own, which sees the cached one's packages
    through a `.pth` file: the cache is shared by every checkout on the machine, and two test runs of
    different template versions must not install their packages over each other.
    """
    cached = ensure_environment("clients", [*project_requirements(project), *CONTROL_REQUIREMENTS])
    venv = workdir / "clients-venv"
    _run([uv(), "venv", "--quiet", "--python", interpreter(), str(venv)], "creating the run's clients environment")
    (site_packages(venv) / "_interop_cached.pth").write_text(f"{site_packages(cached)}\n")
    # Dependencies and the build backend are in the cached environment, so this needs no index.
    install = [uv(), "pip", "install", "--quiet", "--offline", "--no-deps", "--no-build-isolation"]
    _run([*install, "--python", str(venv_python(venv)), str(project)], "installing the rendered package")
    return venv


def lock_litellm() -> None:
    """Re-resolve `litellm-requirements.txt` from PyPI (run after changing LITELLM_VERSION)."""
    with tempfile.NamedTemporaryFile("w", suffix=".in") as spec:
        spec.write(f"litellm[proxy]=={LITELLM_VERSION}\n")
        spec.flush()
        compile_ = [uv(), "pip", "compile", "--quiet", "--universal", "--python-version", PYTHONS[-1], "--no-header"]
        _run([*compile_, "--no-annotate", spec.name, "-o", str(LITELLM_REQUIREMENTS)], "resolving LiteLLM")
    header = (
        f"# litellm[proxy]=={LITELLM_VERSION} and everything it needs, pinned for the interop lane.\n"
        "# Regenerate: uv run python -m tests.interop.environments --lock\n"
    )
    LITELLM_REQUIREMENTS.write_text(header + LITELLM_REQUIREMENTS.read_text())


def _main(argv: list[str]) -> None:
    if argv == ["--lock"]:
        lock_litellm()
        print(f"wrote {LITELLM_REQUIREMENTS}")
        return
    from tests.interop.lane import render_package

    with tempfile.TemporaryDirectory() as tmp:
        project = render_package(Path(tmp))
        print(f"proxy environment: {proxy_environment()}")
        print(f"clients environment: {clients_environment(project, Path(tmp))}")


if __name__ == "__main__":
    try:
        _main(sys.argv[1:])
    except EnvironmentSetupError as exc:
        sys.exit(str(exc))
