"""How a code block is launched and killed as a local process.

`LocalProcessLauncher` is the executor's default launcher (`sandbox="none"`). It runs each block as a local
subprocess:

- POSIX: the block starts in a new process group, so it and everything it starts can be signalled at
  once. A timeout sends SIGTERM to the group, then SIGKILL after `TERMINATE_GRACE_SECONDS`; cancellation
  and `stop()` send SIGKILL at once. When the block's main process exits on its own, whatever it left in
  the group (`sleep 300 &`) is stopped the same way, because it would otherwise live on and hold the
  output pipe open.
- Windows: the block starts in a new process group (`CREATE_NEW_PROCESS_GROUP`, so the host's Ctrl+C does
  not reach it) and is stopped with `taskkill /T /F`, which walks the tree of the still-running main
  process. Windows cannot find the descendants of a process that already exited, so leftovers of a block
  that ended on its own are not stopped there.

This is process isolation, not a security sandbox: blocks run as the host user, with its files and its
network. A process that leaves the group on purpose (`setsid`, a double fork into a new session) escapes
it. `BubblewrapLauncher` (`sandbox="bubblewrap"`) wraps this launcher in a Linux sandbox; to run blocks in
a container or a cloud sandbox, pass your own `Launcher` as the executor's `launcher=` argument.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from ._launch_api import LaunchRequest, LaunchResult, OutputBuffer

TERMINATE_GRACE_SECONDS = 0.5
"""Time between SIGTERM and SIGKILL: enough to flush a file, short enough to return within timeout + 2 s."""
DRAIN_SECONDS = 0.25
"""Wait for the output pipe to close once the block's processes are gone. Only a process that left the group
can hold it open longer, and it is not waited for."""
REAP_SECONDS = 2.0
"""Wait for the main process to be reaped after it was killed (SIGKILL cannot be ignored: this is fast)."""
_POLL_SECONDS = 0.01


class LocalProcessLauncher:
    """Runs each code block as a local subprocess in its own process group, and kills the whole group."""

    async def start(self, work_dir: Path) -> None:
        """Nothing to prepare: local processes need no set-up."""

    async def stop(self) -> None:
        """Nothing to release."""

    async def run(self, request: LaunchRequest, output: OutputBuffer) -> LaunchResult:
        loop = asyncio.get_running_loop()
        protocol = _BlockProtocol(loop, output)
        # A protocol instead of asyncio.subprocess.Process: its process_exited() fires when the main process
        # ends, while Process.wait() (Python 3.12+) also waits for the pipes, which a leftover child holds open.
        spawn = asyncio.ensure_future(
            loop.subprocess_exec(
                lambda: protocol,
                *request.argv,
                stdin=subprocess.DEVNULL,  # reading input sees EOF instead of hanging
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,  # one pipe keeps stdout and stderr in the order they were written
                cwd=request.cwd,
                env=dict(request.env),
                **_SPAWN_OPTIONS,
            )
        )
        try:
            transport, _ = await asyncio.shield(spawn)
        except asyncio.CancelledError:
            # Cancelled while asyncio was still connecting the pipes. The block is already running (and may be
            # forking), and asyncio would kill only its main process: let the spawn finish, kill the group.
            with contextlib.suppress(Exception):
                transport, _ = await asyncio.shield(spawn)
                await _kill_tree(transport.get_pid())
                await _wait(protocol.exited, REAP_SECONDS)
                transport.close()
            raise
        pid = transport.get_pid()
        try:
            exited = await _wait(protocol.exited, request.timeout)
            await _terminate_tree(pid, main_exited=exited)
            await _wait(protocol.exited, REAP_SECONDS)
            await _wait(protocol.output_closed, DRAIN_SECONDS)
        except BaseException:
            # Cancelled (the token, stop() or the caller's own task): no grace period, kill everything now.
            await _kill_tree(pid)
            await _wait(protocol.exited, REAP_SECONDS)
            raise
        finally:
            transport.close()
        returncode = transport.get_returncode()
        return LaunchResult(exit_code=_exit_status(returncode), timed_out=not exited)


class _BlockProtocol(asyncio.SubprocessProtocol):
    def __init__(self, loop: asyncio.AbstractEventLoop, output: OutputBuffer) -> None:
        self.exited: asyncio.Future[None] = loop.create_future()
        self.output_closed: asyncio.Future[None] = loop.create_future()
        self._output = output

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        self._output.write(data)

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        if not self.output_closed.done():
            self.output_closed.set_result(None)

    def process_exited(self) -> None:
        if not self.exited.done():
            self.exited.set_result(None)


async def _wait(future: asyncio.Future[None], timeout: float) -> bool:
    """Wait up to `timeout` seconds for `future` without cancelling it; True if it is done."""
    if not future.done():
        await asyncio.wait((future,), timeout=timeout)
    return future.done()


def _exit_status(returncode: int | None) -> int:
    if returncode is None:
        return -1
    # asyncio reports death by signal N as -N; shells (and CodeExecutorAgent's messages) say 128 + N.
    return 128 - returncode if returncode < 0 else returncode


# ---- Platform part: how a block's processes are grouped and killed. ----

if sys.platform == "win32":
    _SPAWN_OPTIONS: dict[str, Any] = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}

    async def _terminate_tree(pid: int, *, main_exited: bool) -> None:
        if not main_exited:  # taskkill finds descendants only through a running parent
            await _kill_tree(pid)

    async def _kill_tree(pid: int) -> None:
        killer = await asyncio.create_subprocess_exec(
            "taskkill",
            "/T",
            "/F",
            "/PID",
            str(pid),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            await asyncio.wait_for(killer.wait(), timeout=REAP_SECONDS)
        except asyncio.TimeoutError:
            killer.kill()

else:
    # The block leads a new process group, which one killpg() reaches along with everything it starts. Not
    # a new session: on Linux each session gets its own scheduler autogroup, which measurably slows blocks on
    # a busy machine. Python 3.10 has no process_group, and preexec_fn is unsafe beside asyncio's watcher
    # threads, so there the block gets a new session (which is a new process group too).
    if sys.version_info >= (3, 11):
        _SPAWN_OPTIONS: dict[str, Any] = {"process_group": 0}
    else:
        _SPAWN_OPTIONS: dict[str, Any] = {"start_new_session": True}

    async def _terminate_tree(pid: int, *, main_exited: bool) -> None:
        # The group id is the block's pid; it stays valid while any member lives, even after the leader exits.
        if not _group_alive(pid):
            return  # the usual case: one cheap syscall
        _signal_group(pid, signal.SIGTERM)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TERMINATE_GRACE_SECONDS
        while loop.time() < deadline:
            await asyncio.sleep(_POLL_SECONDS)
            if not _group_alive(pid):
                return
        _signal_group(pid, signal.SIGKILL)

    async def _kill_tree(pid: int) -> None:
        _signal_group(pid, signal.SIGKILL)

    def _signal_group(pgid: int, signum: int) -> None:
        # ESRCH: already gone. EPERM: on macOS, only zombies are left.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signum)

    def _group_alive(pgid: int) -> bool:
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        if sys.platform == "linux":
            return _linux_group_has_running_member(pgid)
        else:
            return True

    def _linux_group_has_running_member(pgid: int) -> bool:
        """True if a member of the group is more than a zombie.

        Killed grandchildren are reparented to PID 1, which in many containers reaps them late or never;
        their zombies still count for `killpg(pgid, 0)` and would make every kill wait the full grace period.
        Reading /proc is in-memory, so doing it from the event loop is fine.
        """
        with os.scandir("/proc") as entries:
            for entry in entries:
                if not entry.name.isdigit():
                    continue
                try:
                    with open(f"/proc/{entry.name}/stat", "rb") as stat_file:
                        stat = stat_file.read()
                except OSError:
                    continue  # the process ended while we looked
                # The command name may contain spaces and ')': the fixed fields start after the last ')'.
                fields = stat[stat.rfind(b")") + 2 :].split()
                if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
                    return True
        return False
