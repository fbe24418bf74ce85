"""Runs each code block in a bubblewrap sandbox (Linux): the executor's `sandbox="bubblewrap"`.

[bubblewrap](https://github.com/containers/bubblewrap) (`bwrap`, Debian/Ubuntu package `bubblewrap`) builds
a throw-away set of Linux namespaces for each block, without a daemon. Inside:

- the system directories (`/usr`, `/bin`, `/lib*`, `/sbin`) and the few `/etc` entries programs need to
  start (`ETC_ENTRIES`) are visible read-only, and so is the installation of the Python interpreter that
  runs python blocks (its virtual environment and base installation, wherever they are);
- the work directory is the only writable host directory; `/tmp`, the home directory (`$HOME`) and `/dev`
  are private, empty, held in memory (tmpfs) and discarded after the block; everything else is read-only;
- nothing else of the host exists: other files, the real home directory, other users' processes;
- there is no network (a new network namespace holds only an unconnected loopback interface);
- the block has its own PID namespace, so it cannot see or signal host processes, and when its main process
  ends, or the launcher kills the sandbox on a timeout, a cancellation or `stop()`, the kernel kills every
  process left inside, even one that called `setsid`;
- no capabilities: even a block run by root cannot remount the read-only directories writable;
- the sandbox dies with the executor's process (`--die-with-parent`), and it has its own session, so a block
  cannot push keystrokes into the terminal it was started from.

Process handling (timeout, cancellation, output cap, exit codes) is `LocalProcessLauncher`'s, applied to the
`bwrap` process. `start()` checks once that bwrap can create its namespaces here and raises
`SandboxUnavailableError` naming the fix when it cannot (bwrap missing, user namespaces disabled, or Ubuntu's
AppArmor restriction of unprivileged user namespaces).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import shutil
import sys
import tempfile
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ._launch_api import LaunchRequest, LaunchResult, OutputBuffer, SandboxUnavailableError
from ._launcher import LocalProcessLauncher

SYSTEM_DIRS: tuple[str, ...] = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
"""Host directories visible read-only inside the sandbox (those that exist; symlinks stay symlinks)."""
ETC_ENTRIES: tuple[str, ...] = (
    "ld.so.cache",  # the dynamic linker finds shared libraries through these
    "ld.so.conf",
    "ld.so.conf.d",
    "alternatives",  # Debian's /usr/bin/awk -> /etc/alternatives/awk -> ...
    "passwd",  # user and group names (no passwords: /etc/shadow stays outside)
    "group",
    "nsswitch.conf",
    "hosts",  # "localhost"
    "localtime",  # the time zone
    "timezone",
    "os-release",
)
"""The `/etc` entries visible read-only inside the sandbox; the rest of `/etc` (secrets such as `/etc/shadow`,
host keys and service configurations, readable by root) is not."""

PROBE_TIMEOUT_SECONDS = 30.0
"""How long `start()` and the interpreter probe may take (bwrap itself needs milliseconds)."""

_BASE_OPTIONS = (
    "--unshare-all",  # user (where available), pid, network, ipc, uts and cgroup namespaces
    "--die-with-parent",
    "--new-session",
    "--cap-drop",
    "ALL",
    "--proc",
    "/proc",
    "--dev",
    "/dev",
)
# Where an interpreter's virtual environment and base installation are (they can be anywhere, often in $HOME).
_PYTHON_PREFIXES = "import json, sys; print(json.dumps([sys.prefix, sys.base_prefix, sys.exec_prefix]))"


@dataclass(frozen=True)
class _Mount:
    kind: str  # a bwrap option: --tmpfs, --ro-bind or --bind
    path: str

    def options(self) -> tuple[str, ...]:
        return (self.kind, self.path) if self.kind == "--tmpfs" else (self.kind, self.path, self.path)


class BubblewrapLauncher:
    """Runs each code block in a fresh bubblewrap sandbox; see the module docstring for what is inside.

    Args:
        python: A Python interpreter whose installation (virtual environment and base installation) every
            block can use, whatever its language: a shell block may run `python` or `pip` too. The executor
            passes the interpreter of its python blocks.
        bwrap: The bwrap program, looked up on `PATH` by `start()` unless it is a path.
    """

    def __init__(self, *, python: str | None = None, bwrap: str = "bwrap") -> None:
        self._python = python
        self._bwrap_name = bwrap
        self._local = LocalProcessLauncher()
        self._bwrap: str | None = None
        self._system_options: tuple[str, ...] = ()
        self._python_mounts: tuple[_Mount, ...] = ()
        self._etc: Path | None = None
        self._remove_etc: Callable[[], object] | None = None
        # (program, PATH, is it python) -> the program's host path, and the directories of its installation.
        self._programs: dict[tuple[str, str, bool], tuple[str, tuple[_Mount, ...]]] = {}

    async def start(self, work_dir: Path) -> None:
        """Check, once, that bwrap can build a sandbox here.

        Raises:
            SandboxUnavailableError: bwrap is missing or cannot create namespaces; the message names the fix.
        """
        if self._bwrap is not None:
            return
        if sys.platform != "linux":
            raise SandboxUnavailableError(
                f"sandbox='bubblewrap' needs Linux (this is {sys.platform}); use sandbox='none', or a launcher "
                "that targets a container or a virtual machine"
            )
        bwrap = shutil.which(self._bwrap_name)
        if bwrap is None:
            raise SandboxUnavailableError(
                f"sandbox='bubblewrap' needs the {self._bwrap_name!r} program, which is not on PATH. Install "
                "bubblewrap (Debian/Ubuntu: sudo apt-get install bubblewrap; Fedora: sudo dnf install bubblewrap; "
                "Arch: sudo pacman -S bubblewrap), or use sandbox='none'"
            )
        if self._etc is None:  # concurrent first starts share one copy
            self._etc = Path(tempfile.mkdtemp(prefix="sandbox-etc-"))
            self._remove_etc = weakref.finalize(self, shutil.rmtree, str(self._etc), True)
            _copy_etc_entries(self._etc)
        etc = self._etc
        system_options = (*_BASE_OPTIONS, *_system_mounts(), "--ro-bind", str(etc), "/etc")
        # The sandbox every block gets, with the real work directory, running `true`.
        mounts = _mount_options([_Mount("--tmpfs", "/tmp"), _Mount("--bind", str(work_dir))], work_dir)
        status, errors = await _run_quietly((bwrap, *system_options, *mounts, "--", "true"), {"PATH": os.defpath})
        if status != 0:
            await self.stop()
            raise SandboxUnavailableError(_explain(status, errors))
        if self._python is not None:
            with contextlib.suppress(FileNotFoundError):  # a missing interpreter is each python block's exit 127
                _, self._python_mounts = await self._installation(self._python, os.environ.get("PATH", ""), True)
        self._bwrap, self._system_options = bwrap, system_options

    async def stop(self) -> None:
        """Remove the sandbox's copy of `/etc` (each sandbox itself disappears with its block)."""
        if self._remove_etc is not None:
            self._remove_etc()
        self._etc = self._remove_etc = None
        self._bwrap = None

    async def run(self, request: LaunchRequest, output: OutputBuffer) -> LaunchResult:
        """Run one block inside a new sandbox (the contract is `Launcher`'s)."""
        if self._bwrap is None:
            raise RuntimeError("BubblewrapLauncher.run() before start()")
        search_path = request.env.get("PATH", os.defpath)
        program, program_mounts = await self._installation(request.argv[0], search_path, request.language == "python")
        mounts = [
            *_private_dirs(request.env, request.cwd),
            *self._python_mounts,
            *program_mounts,
            _Mount("--bind", str(request.cwd)),
        ]
        argv = (
            self._bwrap,
            *self._system_options,
            *_mount_options(mounts, request.cwd),
            "--remount-ro",  # last: the sandbox's own root, where bwrap made the mount points, becomes read-only
            "/",
            "--chdir",
            str(request.cwd),
            "--",
            program,
            *request.argv[1:],
        )
        sandboxed = LaunchRequest(
            argv=argv,
            language=request.language,
            code_file=request.code_file,
            cwd=request.cwd,
            env=request.env,
            timeout=request.timeout,
        )
        return await self._local.run(sandboxed, output)

    async def _installation(self, name: str, search_path: str, python: bool) -> tuple[str, tuple[_Mount, ...]]:
        """A program's host path, and the directories of its installation that the sandbox must show."""
        key = (name, search_path, python)
        found = self._programs.get(key)
        if found is None:  # two concurrent first blocks may both look: harmless, the answer is the same
            path = _locate(name, search_path)
            prefixes: list[str] = []
            if python:
                status, text = await _run_quietly((path, "-I", "-c", _PYTHON_PREFIXES), {"PATH": search_path})
                prefixes = json.loads(text) if status == 0 else []
            mounts = tuple(_Mount("--ro-bind", directory) for directory in _installation_dirs(path, prefixes))
            found = self._programs[key] = (path, mounts)
        return found


def _locate(name: str, search_path: str) -> str:
    """The host path of a program, as the sandbox's exec would find it; `FileNotFoundError` if there is none."""
    found = shutil.which(name, path=search_path) if os.sep not in name else name
    if found is None or not os.access(found, os.X_OK) or os.path.isdir(found):
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", name)
    # Its directory as the kernel finds it: `venv/../venv/bin` or a symlinked directory would not exist inside.
    # The program itself stays as named: a virtual environment's python is a symlink that must not be followed.
    return os.path.join(os.path.realpath(os.path.dirname(found)), os.path.basename(found))


def _installation_dirs(program: str, prefixes: list[str]) -> list[str]:
    """Host directories outside the system ones that the program needs: its own, and an interpreter's prefixes."""
    directories = {os.path.dirname(os.path.realpath(program)), *prefixes}  # e.g. /opt/microsoft/powershell/7
    needed = [d for d in directories if os.path.isdir(d) and not _is_system(d)]
    return sorted(d for d in needed if not any(d != other and _within(d, other) for other in needed))


def _is_system(path: str) -> bool:
    return path == "/" or any(path == d or path.startswith(d + "/") for d in SYSTEM_DIRS)


def _system_mounts() -> tuple[str, ...]:
    options: list[str] = []
    for directory in SYSTEM_DIRS:
        if os.path.islink(directory):  # merged /usr: /bin -> usr/bin
            options += ["--symlink", os.readlink(directory), directory]
        elif os.path.isdir(directory):
            options += ["--ro-bind", directory, directory]
    return tuple(options)


def _copy_etc_entries(etc: Path) -> None:
    """Copy `ETC_ENTRIES` into `etc`, which every sandbox then mounts as its `/etc`.

    One mount of a prepared directory instead of one per entry saves a millisecond per block (a fifth of what
    bwrap costs). Taken at `start()`, so later changes to the host's `/etc` reach the sandbox at the next start.
    """
    for entry in ETC_ENTRIES:
        source, target = Path("/etc", entry), etc / entry
        with contextlib.suppress(OSError):  # missing or unreadable: the sandbox goes without it
            if source.is_symlink():  # e.g. localtime -> /usr/share/zoneinfo/...: visible through /usr
                target.symlink_to(os.readlink(source))
            elif source.is_dir():
                shutil.copytree(source, target, symlinks=True)
            elif source.is_file():
                shutil.copy2(source, target)


def _private_dirs(env: Mapping[str, str], work_dir: Path) -> list[_Mount]:
    """A private /tmp, and a private empty home directory where the block's HOME points."""
    mounts = [_Mount("--tmpfs", "/tmp")]
    home = env.get("HOME", "")
    if os.path.isabs(home) and not _is_system(os.path.normpath(home)) and not _within(home, str(work_dir)):
        mounts.append(_Mount("--tmpfs", os.path.normpath(home)))
    return mounts


def _mount_options(mounts: list[_Mount], work_dir: Path) -> tuple[str, ...]:
    # bwrap mounts in the order given: parents first, so a deeper mount (the work directory inside /tmp) stays
    # on top. A directory inside the work directory is already visible, writable, through it.
    work = str(work_dir)
    kept = [m for m in dict.fromkeys(mounts) if m.kind == "--bind" or not _within(m.path, work)]
    kept.sort(key=lambda m: m.path.rstrip("/").count("/"))
    return tuple(option for mount in kept for option in mount.options())


def _within(path: str, directory: str) -> bool:
    path, directory = os.path.normpath(path), os.path.normpath(directory)
    return path == directory or path.startswith(directory.rstrip("/") + "/")


async def _run_quietly(argv: tuple[str, ...], env: Mapping[str, str]) -> tuple[int, str]:
    """Exit status and output (stdout, else stderr) of a short helper command run on the host."""
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=dict(env),
        )
    except OSError as error:
        return 127, str(error)
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), PROBE_TIMEOUT_SECONDS)
    except asyncio.TimeoutError:
        process.kill()
        await process.wait()
        return 124, f"{argv[0]} did not finish within {PROBE_TIMEOUT_SECONDS:g} s"
    text = (stdout if process.returncode == 0 else stderr or stdout).decode("utf-8", errors="replace")
    return process.returncode or 0, text.strip()


def _explain(status: int, errors: str) -> str:
    """What a failed bwrap start means, and how to fix it."""
    said = f"bwrap could not create a sandbox (exit status {status}): {errors or 'no message'}"
    lowered = errors.lower()
    if "uid map" in lowered or "rtm_newaddr" in lowered or "loopback" in lowered:
        return (
            f"{said}. Unprivileged user namespaces are restricted here, as Ubuntu 23.10 and later do through "
            "AppArmor (kernel.apparmor_restrict_unprivileged_userns=1). Fix: allow bwrap to use them with an "
            "AppArmor profile for /usr/bin/bwrap that grants 'userns', or lift the restriction with "
            "'sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0' (add it to /etc/sysctl.d/ to keep it "
            "after a reboot)"
        )
    if "no permissions to create" in lowered or "creating new namespace failed" in lowered:
        return (
            f"{said}. User namespaces are disabled or forbidden here. Fix: enable them "
            "('sudo sysctl -w user.max_user_namespaces=15000'; on older Debian also "
            "'sudo sysctl -w kernel.unprivileged_userns_clone=1'), or, inside a container, allow them (for Docker: "
            "--security-opt seccomp=unconfined --security-opt apparmor=unconfined) or run the executor outside it"
        )
    return f"{said}. Check that bubblewrap works here: bwrap --unshare-all --ro-bind / / true"
