"""Layer 1: the answer schema itself (copier.yml), before anything is rendered."""

from __future__ import annotations

import itertools
import keyword
import re
import sys

import pytest
import yaml
from pytest_copier import CopierFixture

from hooks import answers, stdlib_names
from hooks.answers import check_answer_keys, questions, supported_pythons
from hooks.plan import ALL_COMPONENTS
from tests.conftest import Render


def test_every_question_has_help_and_a_default() -> None:
    for q in questions():
        assert q.help.strip(), f"{q.name} has no help"
        assert q.default is not None, f"{q.name} has no default: copier update --defaults would fail"


def test_every_free_text_question_is_validated() -> None:
    for q in questions():
        if q.type == "str" and q.choices is None:
            assert q.validator, f"{q.name} accepts any text"


def test_copier_settings() -> None:
    config = answers.raw_config()
    assert config["_subdirectory"] == "template"
    assert tuple(map(int, config["_min_copier_version"].split("."))) >= (9, 17, 2)
    assert config["_envops"]["undefined"] == "jinja2.StrictUndefined"
    assert config["_answers_file"] == ".copier-answers.yml"
    assert {"copier.yml", ".git", "__pycache__", "*.py[co]"} <= set(config["_exclude"])


def test_needs_no_trust() -> None:
    config = answers.raw_config()
    for key in ("_tasks", "_jinja_extensions", "_migrations", "_external_data"):
        assert key not in config, f"{key} would make copier demand --trust"


def test_unknown_answer_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="licence"):
        check_answer_keys({"licence": "MIT"})


def test_impossible_choice_values_are_refused() -> None:
    with pytest.raises(ValueError, match="license"):
        check_answer_keys({"license": "GPL-3.0"})
    check_answer_keys({"license": "MIT", "components": ["tool"], "docs": False})


def test_answer_space_covers_every_enumerable_question() -> None:
    space = list(answers.answer_space())
    enumerable = [q for q in questions() if q.enumerable]
    expected = 1
    for q in enumerable:
        expected *= len(q.values)
        assert {repr(combo[q.name]) for combo in space} == {repr(v) for v in q.values}
    assert len(space) == expected


def test_stdlib_name_list_is_current() -> None:
    """The committed list must know every module of the interpreter running the tests."""
    committed = (stdlib_names.TARGET).read_text(encoding="utf-8")
    assert committed == stdlib_names.render(), "run: uv run python -m hooks.stdlib_names"
    listed = set(re.findall(r"'([A-Za-z0-9_]+)'", committed))
    missing = {n for n in sys.stdlib_module_names if not n.startswith("_")} - listed
    assert not missing
    assert set(keyword.kwlist) <= listed


@pytest.mark.parametrize(
    ("project_name", "expected"),
    [
        (
            "My Cool Tool",
            {
                "distribution_name": "autogen-my-cool-tool",
                "package_name": "autogen_my_cool_tool",
                "model_client_class": "MyCoolToolChatCompletionClient",
                "code_executor_class": "MyCoolToolCodeExecutor",
                "tool_class": "MyCoolToolSearchTool",
                "tool_name": "my_cool_tool_search",
            },
        ),
        (
            "AutoGen Weather",
            {
                "distribution_name": "autogen-weather",
                "package_name": "autogen_weather",
                "tool_class": "WeatherSearchTool",
                "tool_name": "weather_search",
            },
        ),
        (
            "Acme Search",
            {
                "distribution_name": "autogen-acme-search",
                "tool_class": "AcmeSearchTool",
                "tool_name": "acme_search",
                "model_client_class": "AcmeSearchChatCompletionClient",
            },
        ),
        (
            "Acme Code Executor",
            {"code_executor_class": "AcmeCodeExecutor", "tool_class": "AcmeCodeExecutorSearchTool"},
        ),
        (
            "AutoGen",
            {
                "distribution_name": "autogen-extension",
                "code_executor_class": "CustomCodeExecutor",
                "tool_class": "CustomSearchTool",
            },
        ),
        (
            "3D Printer Bridge",
            {
                "distribution_name": "autogen-3d-printer-bridge",
                "model_client_class": "Ext3DPrinterBridgeChatCompletionClient",
            },
        ),
        (
            "Internal Sandboxed Python Runner For Teams",
            {
                "distribution_name": "autogen-internal-sandboxed-python-runner-for-teams",
                "package_name": "autogen_internal_sandboxed_p",
                "code_executor_class": "InternalSandboxedCodeExecutor",
            },
        ),
    ],
)
def test_defaults_derive_from_the_project_name(
    render_project: Render, project_name: str, expected: dict[str, str]
) -> None:
    project = render_project({"project_name": project_name})
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    for name, value in expected.items():
        assert recorded[name] == value, name


# ---- computed values, read from copier's own rendering context (pytest-copier's ``context()``) ----


@pytest.mark.parametrize("python_min", supported_pythons())
def test_python_versions_run_from_python_min_to_the_newest(copier: CopierFixture, python_min: str) -> None:
    pythons = supported_pythons()
    assert copier.context(python_min=python_min)["python_versions"] == list(pythons[pythons.index(python_min) :])


def test_component_folders_name_every_component(copier: CopierFixture) -> None:
    folders = copier.context()["component_folders"]
    assert list(folders) == list(ALL_COMPONENTS)
    assert len(set(folders.values())) == len(folders), "two components would share a folder"


def _words(name: str) -> list[str]:
    """PascalCase, snake_case or UPPER_SNAKE -> lowercase words."""
    return [w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+", name.replace("_", " "))]


@pytest.mark.parametrize("project_name", ["Acme Search", "Acme Chat", "Acme Code", "Acme Tool", "Search", "AutoGen"])
def test_derived_names_never_double_a_word(copier: CopierFixture, project_name: str) -> None:
    context = copier.context(project_name=project_name)
    names = [context[name] for name in ("model_client_class", "code_executor_class", "tool_class", "tool_name")]
    names += [context["tool_env_prefix"], context["distribution_name"].replace("-", "_")]
    for name in names:
        words = _words(name)
        assert all(a != b for a, b in itertools.pairwise(words)), f"{name} doubles a word"
    assert context["tool_env_prefix"] != context["env_prefix"], "the tool's variables would be the model client's"
