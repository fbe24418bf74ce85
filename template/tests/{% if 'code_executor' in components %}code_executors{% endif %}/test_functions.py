"""User-defined functions: what the functions module holds, when it is written, and how set-up fails.

test_parity.py runs AutoGen's own function scenarios against both executors; these are the cases beyond them.
"""

import json
import math as m
from os.path import basename as base
from os.path import join
from pathlib import Path

import pytest
from autogen_core import CancellationToken
from autogen_core.code_executor import Alias, CodeBlock, ImportFromModule, with_requirements

from tests.code_executors.conftest import MakeExecutor
from tests.code_executors.observe import exists, text


def block(code: str) -> CodeBlock:
    return CodeBlock(code=code, language="python")


@pytest.mark.asyncio
async def test_nested_and_decorated_functions_are_written_whole(tmp_path: Path, make_executor: MakeExecutor) -> None:
    @with_requirements(
        global_imports=[Alias("math", "m"), ImportFromModule("os.path", ["join", Alias("basename", "base")]), "json"],
    )
    def describe(*parts: str) -> str:
        """A decorator over several lines, inside a function: autogen-ext would write neither correctly."""
        return json.dumps([base(join(*parts)), m.floor(2.5)])  # the module gets these from global_imports

    async def later(delay: float) -> str:
        return f"waited {delay}"

    async with make_executor(timeout=30, work_dir=tmp_path, functions=[describe, later]) as executor:
        code = "import asyncio\nfrom functions import describe, later\nprint(describe('a', 'b.txt'))\n"
        result = await executor.execute_code_blocks([block(code + "print(asyncio.run(later(0)))")], CancellationToken())
    assert (result.exit_code, result.output) == (0, '["b.txt", 2]\nwaited 0\n')
    module = text(tmp_path / "functions.py")
    assert module.startswith("import math as m\nfrom os.path import join, basename as base\nimport json\n")
    assert "with_requirements" not in module


def count_characters(value: str) -> int:
    return len(value)


@pytest.mark.parametrize(
    ("function", "complaint"),
    [(len, "source is unavailable"), (lambda: None, "not defined with `def`")],
    ids=["builtin", "lambda"],
)
@pytest.mark.asyncio
async def test_a_function_without_usable_source_is_a_clear_error(
    tmp_path: Path, make_executor: MakeExecutor, function: object, complaint: str
) -> None:
    async with make_executor(timeout=30, work_dir=tmp_path, functions=[function]) as executor:
        with pytest.raises(ValueError, match=complaint):
            await executor.execute_code_blocks([block("print(1)")], CancellationToken())
    assert not exists(tmp_path / "functions.py")


@pytest.mark.asyncio
async def test_the_module_is_written_again_in_a_new_work_dir(make_executor: MakeExecutor) -> None:
    executor = make_executor(timeout=30, functions=[count_characters])
    code = "from functions import count_characters\nprint(count_characters('four'))"
    first = await executor.execute_code_blocks([block(code)], CancellationToken())
    await executor.restart()  # a new private directory, without the module
    second = await executor.execute_code_blocks([block(code)], CancellationToken())
    assert first.output == second.output == "4\n"


@with_requirements(python_packages=["slow-package"])
def needs_a_slow_package() -> None:
    pass


@pytest.mark.asyncio
async def test_pip_install_runs_under_the_timeout(tmp_path: Path, make_executor: MakeExecutor) -> None:
    (tmp_path / "pip").mkdir()
    (tmp_path / "pip" / "__init__.py").write_text("")
    (tmp_path / "pip" / "__main__.py").write_text("import time\ntime.sleep(30)\n")  # a stalled download
    async with make_executor(timeout=0.3, work_dir=tmp_path, functions=[needs_a_slow_package]) as executor:
        with pytest.raises(ValueError, match="Pip install timed out"):
            await executor.execute_code_blocks([block("print(1)")], CancellationToken())


def test_the_prompt_template_can_be_replaced(make_executor: MakeExecutor) -> None:
    executor = make_executor(functions=[count_characters], functions_module="helpers")
    assert executor.format_functions_for_prompt("Use $module_name:\n$functions") == (
        "Use helpers:\ndef count_characters(value: str) -> int:\n    ..."
    )
