"""The small interface between the executor and whatever runs a code block.

The executor decides *what* runs: which file, in which language, in which directory, with which environment
and for how long (the framework-free `BlockRunner` in `_execution_core.py` does this for every framework
front, such as the AutoGen executor in `_executor.py`). A `Launcher` decides *how*: `LocalProcessLauncher`
runs blocks as local processes, `BubblewrapLauncher` runs each in a bubblewrap sandbox, and one you write
could run them in a container or a cloud sandbox (pass it as the executor's `launcher=` argument). Both sides
share only the names in this module, and neither imports an agent framework.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class SandboxUnavailableError(RuntimeError):
    """A launcher cannot run blocks on this machine; the message says why and how to fix it.

    Raised by `Launcher.start()`, so by the executor's `start()` and by the first `execute_code_blocks()`.
    No block runs unsandboxed instead.
    """


@dataclass(frozen=True)
class LaunchRequest:
    """One code block, ready to run.

    Attributes:
        argv: The local command line, e.g. `("/usr/bin/python3", "/work/tmp_code_ab12.py")`. A remote
            launcher usually builds its own from `language` and `code_file`.
        language: `"python"`, `"bash"`, `"sh"` or `"pwsh"` (aliases are already resolved).
        code_file: Absolute path of the code file, inside `cwd`.
        cwd: The work directory the block runs in.
        env: The complete environment of the block: nothing else may be added from the host.
        timeout: Seconds the block may run.
    """

    argv: tuple[str, ...]
    language: str
    code_file: Path
    cwd: Path
    env: Mapping[str, str]
    timeout: float


@dataclass(frozen=True)
class LaunchResult:
    """How a block ended.

    Attributes:
        exit_code: The block's exit status. A block killed by signal N reports `128 + N`, as shells do.
        timed_out: True when `timeout` expired and the launcher stopped the block.
    """

    exit_code: int
    timed_out: bool = False


class OutputBuffer:
    """Collects a block's output while keeping at most `limit` bytes of it in memory.

    It keeps the first and the last half of the limit (the start shows what the block did, the end shows how
    it failed) and counts what it drops, so a flood of output neither fills memory nor stalls the block:
    writing never blocks and never grows past the limit.

    Example:
        ```python
        buffer = OutputBuffer(limit=8)
        buffer.write(b"0123456789abcdef")
        print(buffer.text())  # "0123", a truncation marker, "cdef"
        ```
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1 byte, got {limit}")
        self.limit = limit
        self._head_limit = limit - limit // 2
        self._tail_limit = limit // 2
        self._head = bytearray()
        self._tail = bytearray()
        self.total_bytes = 0

    def write(self, data: bytes) -> None:
        """Add bytes as they arrive (called from the event loop for every chunk read)."""
        self.total_bytes += len(data)
        room = self._head_limit - len(self._head)
        if room > 0:
            self._head += data[:room]
            data = data[room:]
        if not data or self._tail_limit == 0:
            return
        if len(data) >= self._tail_limit:
            self._tail[:] = data[-self._tail_limit :]
        else:
            self._tail += data
            excess = len(self._tail) - self._tail_limit
            if excess > 0:
                del self._tail[:excess]

    @property
    def omitted_bytes(self) -> int:
        """How many bytes were dropped between the kept start and end."""
        return self.total_bytes - len(self._head) - len(self._tail)

    def text(self) -> str:
        """The kept output as text; bytes that are not UTF-8 become U+FFFD instead of raising."""
        head = self._head.decode("utf-8", errors="replace")
        if not self.omitted_bytes:
            return head + self._tail.decode("utf-8", errors="replace")
        marker = (
            f"\n[... output truncated: {self.omitted_bytes} bytes omitted "
            f"(limit {self.limit} bytes: the first and last halves are kept) ...]\n"
        )
        return head + marker + self._tail.decode("utf-8", errors="replace")


class Launcher(Protocol):
    """Runs code blocks. Implement this to run blocks somewhere other than local processes.

    The executor calls `start()` from its own `start()` (before the first block), `run()` once per block,
    and `stop()` from its own `stop()`, after cancelling the blocks still running; `start()` may follow
    again. The contract of `run()`, which the executor and the package's tests rely on:

    1. Run `request.code_file` as `request.language` in `request.cwd` with exactly `request.env`,
       with no input (a block that reads stdin sees end-of-file).
    2. Pass every byte of output to `output.write`, stdout and stderr together in the order written.
    3. After `request.timeout` seconds, stop the block and everything it started, then return
       `LaunchResult(..., timed_out=True)`.
    4. When the block ends on its own, stop anything it left running, then return its exit code.
    5. When the task awaiting `run` is cancelled, stop the block and everything it started, then let
       `asyncio.CancelledError` propagate.
    6. Raise `OSError` when the block cannot be started at all (e.g. `FileNotFoundError` when the
       interpreter is missing).

    Example:
        A launcher that runs blocks in a container which bind-mounts the work directory at the same path:

        ```python
        class DockerExecLauncher:
            async def start(self, work_dir: Path) -> None:
                ...  # start the container, or check that it runs

            async def run(self, request: LaunchRequest, output: OutputBuffer) -> LaunchResult:
                program = "python3" if request.language == "python" else request.language
                argv = ["docker", "exec", "-w", str(request.cwd), "sandbox", program, str(request.code_file)]
                ...  # start argv, stream output, enforce request.timeout, kill on cancellation

            async def stop(self) -> None:
                ...


        executor = MyCodeExecutor(launcher=DockerExecLauncher())
        ```
    """

    async def start(self, work_dir: Path) -> None:
        """Get ready to run blocks in `work_dir`; idempotent.

        Raises:
            SandboxUnavailableError: This launcher cannot run blocks here (the message names the fix).
        """
        ...

    async def run(self, request: LaunchRequest, output: OutputBuffer) -> LaunchResult:
        """Run `request`, streaming its output into `output`; see the class docstring for the contract."""
        ...

    async def stop(self) -> None:
        """Release what `start()` prepared; the executor has already cancelled every running block."""
        ...
