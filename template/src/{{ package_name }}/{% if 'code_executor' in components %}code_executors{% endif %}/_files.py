"""Where a code block's file goes, writing it without clobbering a concurrent call's file, and deleting it."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_logger = logging.getLogger(__name__)
_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation at the OS level either

# Only the first line counts, as in autogen-ext: "# filename: app.py" (any case, any spacing).
_FILENAME_COMMENT = re.compile(r"[ \t]*#[ \t]*filename:[ \t]*(\S.*?)[ \t]*\r?", re.IGNORECASE)


class OutsideWorkDirError(ValueError):
    """A `# filename:` that resolves outside the work directory."""


@dataclass(frozen=True)
class CodeFile:
    """Where a block's code is written.

    Attributes:
        path: Absolute path inside the work directory.
        named: True when the block chose the name with a `# filename:` first line. Such a file can be
            rewritten with different code by a concurrent call, so the executor serialises its use.
    """

    path: Path
    named: bool


def plan_code_file(work_dir: Path, code: str, extension: str) -> CodeFile:
    """Choose the file for `code`: its `# filename:` if that stays inside `work_dir`, else a hash name.

    `work_dir` must be absolute and resolved. Nothing is written here.

    Raises:
        OutsideWorkDirError: The requested name resolves outside `work_dir`, through `..`, an absolute
            path or a symlink.
    """
    first_line = code.partition("\n")[0]
    match = _FILENAME_COMMENT.fullmatch(first_line)
    if match is None:
        # Content-addressed: concurrent calls running the same code write identical bytes to the same name.
        digest = hashlib.sha256(code.encode("utf-8", errors="surrogatepass")).hexdigest()
        return CodeFile(work_dir / f"tmp_code_{digest}.{extension}", named=False)
    name = match.group(1)
    target = (work_dir / name).resolve()  # follows symlinks and "..", as the interpreter would
    if target == work_dir or not target.is_relative_to(work_dir):
        raise OutsideWorkDirError(
            f"Filename is not in the workspace: '# filename: {name}' resolves to {target}, outside the work "
            f"directory {work_dir}. Nothing was written or run."
        )
    return CodeFile(target, named=True)


def write_code_file(code_file: CodeFile, code: str) -> None:
    """Write `code` to `code_file` so that no process ever reads a half-written or clobbered file.

    A new file is created exclusively and written in place: nobody can have it open yet. An existing file
    that already holds this code (the same block run again) is left alone. Any other existing file (a reused
    `# filename:`) is replaced by writing a temporary file and renaming it over, so a process still reading
    the old file keeps its copy.

    Synchronous on purpose: a small local file takes microseconds, less than a thread hop, and with no await
    in between, concurrent calls of one executor cannot interleave here.
    """
    path = code_file.path
    if code_file.named:
        path.parent.mkdir(parents=True, exist_ok=True)  # "# filename: sub/app.py"
    data = code.encode("utf-8", errors="replace")  # bytes as given: no newline translation on Windows
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o644)
    except FileExistsError:
        if not _holds(path, data):
            _replace(path, data, keep_existing=not code_file.named)
        return
    with open(descriptor, "wb") as handle:
        handle.write(data)


class CodeFilesInUse:
    """Counts the calls using each code file, so a file is deleted only when the last of them ends.

    Concurrent calls share a file when they run the same code (hash names) or take turns on one
    `# filename:`; deleting it when the first of them returns would pull it from under the others.
    """

    def __init__(self) -> None:
        self._users: Counter[Path] = Counter()

    def add(self, path: Path) -> None:
        """A call is about to write `path`."""
        self._users[path] += 1

    def release(self, paths: Iterable[Path], *, delete: bool) -> None:
        """A call that added `paths` ends; with `delete`, remove each file no other call still uses."""
        for path in paths:
            self._users[path] -= 1
            if self._users[path] > 0:
                continue
            del self._users[path]
            if delete:
                try:
                    path.unlink(missing_ok=True)
                except OSError as error:
                    _logger.error("Failed to delete temporary file %s: %s", path, error)


def _holds(path: Path, data: bytes) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(data) + 1) == data
    except OSError:
        return False


def _replace(path: Path, data: bytes, *, keep_existing: bool) -> None:
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    try:
        with open(descriptor, "wb") as handle:
            handle.write(data)
        try:
            os.replace(temporary, path)
        except PermissionError:
            # Windows cannot replace a file another process has open. A hash-named file already holds
            # exactly this code, so keeping it is correct.
            if not keep_existing:
                raise
            os.unlink(temporary)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
