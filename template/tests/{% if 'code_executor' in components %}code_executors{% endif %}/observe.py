"""What a code block left behind: processes still running, files written.

Code blocks under test append `"<pid> <pgid>"` (or just `"<pid>"`) lines to a `pids` file in their work
directory; the tests read it back and check the process table. A zombie counts as dead: it has exited and
only waits for its parent (often PID 1, which in containers may reap late) to collect its status. Inside a
sandbox with its own PID namespace those numbers mean nothing on the host, so sandboxed blocks instead start
processes with a unique token on their command line, which `processes_with` finds in the host's `/proc`.

The file helpers are plain functions because async tests must not call blocking path methods (ruff ASYNC240);
they touch a few small local files, so blocking is not a concern here.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

posix_only = pytest.mark.skipif(
    sys.platform == "win32",
    reason="uses POSIX process groups, signals and fork; on Windows the launcher kills the tree with taskkill",
)

PYTHON = shlex.quote(sys.executable)
"""The test interpreter, quoted for use in a shell block."""

RECORD_PID = "import os\nwith open('pids', 'a') as pid_file:\n    pid_file.write(f'{os.getpid()} {os.getpgid(0)}\\n')\n"
"""Python that appends this process's pid and process group to ./pids."""

SLEEPER = RECORD_PID + "import time\ntime.sleep(300)\n"
"""Python that records itself, then sleeps far longer than any test."""


@dataclass
class Recorded:
    """The processes a block recorded, and the process groups they belong(ed) to."""

    pids: set[int] = field(default_factory=set[int])
    pgids: set[int] = field(default_factory=set[int])


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def read_recorded(pid_file: Path) -> Recorded:
    recorded = Recorded()
    for line in _lines(pid_file):
        pid, *pgid = (int(part) for part in line.split())
        recorded.pids.add(pid)
        recorded.pgids.update(pgid)
    return recorded


def _linux_stat(pid: int) -> tuple[bytes, int] | None:
    """(state, pgid) of a Linux process, or None if it does not exist."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat_file:
            stat = stat_file.read()
    except OSError:
        return None
    fields = stat[stat.rfind(b")") + 2 :].split()
    return fields[0], int(fields[2])


def running(pid: int) -> bool:
    """True if `pid` is a live process (not a zombie)."""
    if sys.platform == "linux":
        stat = _linux_stat(pid)
        return stat is not None and stat[0] not in (b"Z", b"X")
    else:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True  # PermissionError included: it exists, owned by someone else


def group_running(pgid: int) -> bool:
    """True if any live process (not a zombie) is in process group `pgid`."""
    if sys.platform == "linux":
        with os.scandir("/proc") as entries:
            for entry in entries:
                if entry.name.isdigit():
                    stat = _linux_stat(int(entry.name))
                    if stat is not None and stat[1] == pgid and stat[0] not in (b"Z", b"X"):
                        return True
        return False
    else:
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):  # macOS answers EPERM for a group of zombies
            return False
        return True


async def assert_nothing_survives(recorded: Recorded, *, within: float = 3.0) -> None:
    """Fail unless every recorded process and process group is gone (waits briefly for the kernel)."""
    assert recorded.pids, "the block recorded no processes, so the test would prove nothing"
    deadline = time.monotonic() + within
    while True:
        alive = [f"pid {pid}" for pid in sorted(recorded.pids) if running(pid)]
        alive += [f"process group {pgid}" for pgid in sorted(recorded.pgids) if group_running(pgid)]
        if not alive or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    assert not alive, f"still running after the call returned: {', '.join(alive)}"


def processes_with(token: str) -> list[int]:
    """Live host processes (not zombies) whose command line contains `token` (Linux only: reads `/proc`)."""
    found: list[int] = []
    with os.scandir("/proc") as entries:
        for entry in entries:
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/cmdline", "rb") as cmdline:
                    if token.encode() not in cmdline.read():
                        continue
            except OSError:
                continue  # it ended while we looked
            if running(int(entry.name)):
                found.append(int(entry.name))
    return found


async def wait_for_processes(token: str, *, within: float = 10.0) -> None:
    """Wait until a process with `token` on its command line runs, i.e. the block got that far."""
    deadline = time.monotonic() + within
    while not processes_with(token):
        if time.monotonic() > deadline:
            raise AssertionError(f"no process with {token!r} on its command line appeared in {within} s")
        await asyncio.sleep(0.02)


async def assert_no_process_with(token: str, *, within: float = 3.0) -> None:
    """Fail unless every process with `token` on its command line is gone (waits briefly for the kernel)."""
    deadline = time.monotonic() + within
    while True:
        alive = processes_with(token)
        if not alive or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    assert not alive, f"still running after the call returned: pids {alive} (host PID namespace)"


async def wait_for_lines(pid_file: Path, count: int, *, within: float = 10.0) -> None:
    """Wait until the block has recorded `count` processes, i.e. it is really running."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if len(_lines(pid_file)) >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the block did not record {count} processes in {within} s")


def groups_of(pids: set[int]) -> set[int]:
    """The current process groups of `pids` (asked of the OS while they run: no assumption about pgid)."""
    groups: set[int] = set()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            groups.add(os.getpgid(pid))
    return groups


async def wait_for_file(path: Path, *, within: float = 10.0) -> None:
    """Wait until the block has created `path`, i.e. it is really running."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if exists(path):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the block did not create {path.name} in {within} s")


def text(path: Path | str) -> str:
    return Path(path).read_text(encoding="utf-8")


def exists(path: Path) -> bool:
    return path.exists()


def is_dir(path: Path) -> bool:
    return path.is_dir()


def tree(directory: Path) -> list[str]:
    """Every path under `directory`, relative and sorted: compare before and after to see what was written."""
    return sorted(str(path.relative_to(directory)) for path in directory.rglob("*"))


def resolved(path: Path | str) -> Path:
    return Path(path).resolve()
