"""copier's own command line with its two per-path costs taken out, to measure what fixing them upstream buys.

    python benchmarks/copier_with_fixes.py copy [copier's options] TEMPLATE DESTINATION

copier 9.19 compiles every path segment of every template entry anew, and re-renders the answers file's name
for each of them, because `Environment.from_string` has no cache; and after writing each file it spawns
`git config --get core.fileMode` (copier-org/copier#2605), although the answer cannot change within one run.
This script pays each of them once, then hands the command line to copier unchanged:

1. `from_string` keeps the compiled code of each source string per Jinja environment. Rendering still happens
   every time, with the same context, so the output is the same.
2. `core.fileMode` is read once per destination; copier's own index sync runs only where it would act (the
   setting is `false`).

Only `benchmarks/copier_copy.py --with-fixes` runs it, for the figures in docs/benchmarks.md. Nothing ships it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from copier import _main
from copier._cli import CopierApp
from copier._vcs import get_git
from plumbum import ProcessExecutionError

_compiled: dict[tuple[int, str], Any] = {}
_original_sync = _main.Worker._sync_git_index_executable_bit
_file_mode: dict[Path, str] = {}


def _from_string(
    self: jinja2.Environment,
    source: str | jinja2.nodes.Template,
    globals: dict[str, Any] | None = None,
    template_class: type[jinja2.Template] | None = None,
) -> jinja2.Template:
    if isinstance(source, str):
        key = (id(self), source)
        if key not in _compiled:
            _compiled[key] = self.compile(source)
        code = _compiled[key]
    else:  # a parsed template: nothing to key it by
        code = self.compile(source)
    return (template_class or self.template_class).from_code(self, code, self.make_globals(globals))


def _sync_once(self: _main.Worker, dst_relpath: Path, src_mode: int) -> None:
    root = self.subproject.local_abspath
    if root not in _file_mode:
        try:
            _file_mode[root] = get_git(context_dir=root)("config", "--type=bool", "--get", "core.fileMode").strip()
        except ProcessExecutionError:
            _file_mode[root] = "unset"
    if _file_mode[root] == "false":
        _original_sync(self, dst_relpath, src_mode)


if __name__ == "__main__":
    jinja2.Environment.from_string = _from_string  # type: ignore[method-assign]
    _main.Worker._sync_git_index_executable_bit = _sync_once  # type: ignore[method-assign]
    CopierApp.run()
