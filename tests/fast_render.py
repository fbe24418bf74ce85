"""Make in-process renders cheap enough to render every answer combination, without changing what copier does.

Profiling one render (copier 9.19, ~70 files) showed where its 0.4 s go: about 60 % is Jinja compiling the
same ~600 template strings (file bodies, path segments, question defaults and validators) again for every
render, and about 20 % is one ``git config`` subprocess per written file, which copier runs to keep a git
index's executable bits in sync and which does nothing outside a git repository. Two measures remove them:

- ``install_compile_cache()`` memoises ``jinja2.Environment.compile``. The compiled code of a template is a
  pure function of its source and of the environment's compile-time settings (delimiters, whitespace
  handling, extensions, optimisation, async mode, finalize, and the filters and tests it calls), all of which
  are part of the cache key, so a cached result is exactly what compiling again would produce.
- ``without_git()`` hides git from copier (through plumbum's environment, which copier consults) while a
  plain-directory template is rendered into a fresh directory: the case where the git step is a no-op.

Renders from git repositories and ``copier update`` (tests/test_lifecycle.py) keep git; the bad-answer tests
run the unmodified copier command line in a subprocess.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Hashable, Iterator
from typing import Any

import jinja2
from jinja2.utils import _PassArg
from plumbum import local

_COMPILED: dict[tuple[Hashable, ...], Any] = {}
_SIGNATURES: weakref.WeakKeyDictionary[jinja2.Environment, tuple[Hashable, ...]] = weakref.WeakKeyDictionary()
_original_compile = jinja2.Environment.compile


def _pass_arg(function: Any) -> str:
    return str(_PassArg.from_obj(function))


def _signature(env: jinja2.Environment) -> tuple[Hashable, ...]:
    """Everything about ``env`` that the generated code depends on (computed once per environment)."""
    signature = _SIGNATURES.get(env)
    if signature is None:
        signature = (
            type(env),
            env.block_start_string,
            env.block_end_string,
            env.variable_start_string,
            env.variable_end_string,
            env.comment_start_string,
            env.comment_end_string,
            env.line_statement_prefix,
            env.line_comment_prefix,
            env.trim_blocks,
            env.lstrip_blocks,
            env.newline_sequence,
            env.keep_trailing_newline,
            tuple(sorted(env.extensions)),
            env.optimized,
            env.is_async,
            env.finalize,
            # The code generator only checks that a filter or test exists and which argument it is passed
            # (context, eval context or environment); copier builds some of them afresh for each render.
            tuple(sorted((name, _pass_arg(function)) for name, function in env.filters.items())),
            tuple(sorted((name, _pass_arg(function)) for name, function in env.tests.items())),
        )
        _SIGNATURES[env] = signature
    return signature


def _cached_compile(
    self: jinja2.Environment,
    source: Any,
    name: str | None = None,
    filename: str | None = None,
    raw: bool = False,
    defer_init: bool = False,
) -> Any:
    if not isinstance(source, str):  # an already parsed template: nothing to gain
        return _original_compile(self, source, name, filename, raw, defer_init)
    key = (_signature(self), source, name, filename, raw, defer_init)
    try:
        return _COMPILED[key]
    except KeyError:
        compiled = _COMPILED[key] = _original_compile(self, source, name, filename, raw, defer_init)
        return compiled


def install_compile_cache() -> None:
    """Memoise Jinja compilation for this process (idempotent)."""
    jinja2.Environment.compile = _cached_compile  # type: ignore[method-assign,assignment]


@contextlib.contextmanager
def without_git() -> Iterator[None]:
    """Copier as on a machine without git: only for plain-directory sources rendered into fresh directories."""
    with local.env(PATH=""):
        yield
