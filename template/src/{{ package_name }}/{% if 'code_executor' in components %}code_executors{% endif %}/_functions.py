"""User-defined functions that code blocks import: the module's source, its requirements, the prompt text.

The executor writes the functions given as `functions=` into `<work_dir>/<functions_module>.py`, so a block
can `from functions import add`. Each may be a plain function, a `FunctionWithRequirements` (from
`autogen_core.code_executor.with_requirements`, naming pip packages and imports it needs) or a
`FunctionWithRequirementsStr` (its source as a string).
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from autogen_core.code_executor import (
    Alias,
    FunctionWithRequirements,
    FunctionWithRequirementsStr,
    Import,
)

UserFunction = FunctionWithRequirements[Any, ...] | FunctionWithRequirementsStr | Callable[..., Any]
"""A function code blocks may import."""

FUNCTION_PROMPT_TEMPLATE = (
    "You have access to the following user defined functions. "
    "They can be accessed from the module called `$module_name` by their function names.\n"
    "\n"
    "For example, if there was a function called `foo` you could import it by writing "
    "`from $module_name import foo`\n"
    "\n"
    "$functions"
)
"""The default template of `format_functions_for_prompt()` (the same text as autogen-ext's executors use):
`$module_name` is replaced by the module's name, `$functions` by the functions' stubs."""


def module_source(functions: Sequence[UserFunction]) -> str:
    """The source of the functions module: every import the functions declare, then each function.

    Raises:
        ValueError: A function's source cannot be found (a lambda, a built-in, or code typed into a REPL).
    """
    imports = _unique(_import_line(entry) for function in functions for entry in _global_imports(function))
    parts = ["\n".join(imports), *(_source(function) for function in functions)]
    return "\n\n\n".join(part for part in parts if part) + "\n"


def required_packages(functions: Sequence[UserFunction]) -> list[str]:
    """The pip requirements the functions declare, each once, in the order given."""
    return _unique(
        package
        for function in functions
        if isinstance(function, (FunctionWithRequirements, FunctionWithRequirementsStr))
        for package in function.python_packages
    )


def pip_install_code(packages: Sequence[str]) -> str:
    """A python block that runs `pip install <packages>` with the interpreter that runs the blocks."""
    return (
        "import runpy\n"
        "import sys\n"
        "\n"
        f"sys.argv = ['pip', 'install', *{list(packages)!r}]\n"
        "runpy.run_module('pip', run_name='__main__', alter_sys=True)\n"
    )


def function_stub(function: UserFunction) -> str:
    """The function's signature and docstring with `...` as its body: what a model needs to call it."""
    target = _callable(function)
    stub = f"def {target.__name__}{inspect.signature(target)}:\n"
    if target.__doc__:
        stub += textwrap.indent(f'"""{textwrap.dedent(target.__doc__)}"""', "    ") + "\n"
    return stub + "    ..."


def is_user_function(value: object) -> bool:
    """True for what `functions=` accepts: a callable (`FunctionWithRequirements` is one) or a
    `FunctionWithRequirementsStr`."""
    return callable(value) or isinstance(value, FunctionWithRequirementsStr)


def _callable(function: UserFunction) -> Callable[..., Any]:
    if isinstance(function, FunctionWithRequirementsStr):
        return function.compiled_func
    if isinstance(function, FunctionWithRequirements):
        return function.func
    return function


def _global_imports(function: UserFunction) -> Sequence[Import]:
    if isinstance(function, (FunctionWithRequirements, FunctionWithRequirementsStr)):
        return function.global_imports
    return ()


def _import_line(entry: Import) -> str:
    if isinstance(entry, str):
        return f"import {entry}"
    if isinstance(entry, Alias):
        return f"import {entry.name} as {entry.alias}"
    names = ", ".join(name if isinstance(name, str) else f"{name.name} as {name.alias}" for name in entry.imports)
    return f"from {entry.module} import {names}"


def _source(function: UserFunction) -> str:
    if isinstance(function, FunctionWithRequirementsStr):
        return textwrap.dedent(function.func).strip()
    target = _callable(function)
    try:
        source = textwrap.dedent(inspect.getsource(target))
    except (OSError, TypeError) as error:
        raise ValueError(f"cannot write {target!r} into the functions module: its source is unavailable") from error
    # From the `def` line on: decorators (with_requirements among them, over any number of lines) are dropped,
    # and a function defined inside another one (dedented above) works too.
    definition = next((node for node in ast.parse(source).body if isinstance(node, _DEFINITIONS)), None)
    if definition is None:
        raise ValueError(f"cannot write {target!r} into the functions module: it is not defined with `def`")
    return "\n".join(source.splitlines()[definition.lineno - 1 :]).strip()


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
