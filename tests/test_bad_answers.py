"""Layer 1: a bad answer ends with a clear one-line reason, a non-zero exit and nothing written.

Each case runs the real copier command line, as a user's ``copier copy --defaults -d ...`` would.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

MAX_REFUSAL = 60
"""Characters a refusal may take after copier's prefix."""

# (answers, question named in the reason, words the reason must contain)
BAD_ANSWERS: list[tuple[dict[str, str], str, str]] = [
    ({"project_name": ""}, "project_name", "must not be empty"),
    ({"project_name": "two\nlines"}, "project_name", "single line"),
    ({"distribution_name": "autogen"}, "distribution_name", "taken by AG2"),
    ({"distribution_name": "pyautogen"}, "distribution_name", "taken by AG2"),
    ({"distribution_name": "ag2"}, "distribution_name", "taken by AG2"),
    ({"distribution_name": "autogen-core"}, "distribution_name", "taken by AutoGen"),
    ({"distribution_name": "autogen-ext"}, "distribution_name", "taken by AutoGen"),
    ({"distribution_name": "autogen-agentchat"}, "distribution_name", "taken by AutoGen"),
    ({"distribution_name": "autogenstudio"}, "distribution_name", "taken by AutoGen"),
    ({"distribution_name": "Autogen_Thing"}, "distribution_name", "PEP 503-normalised"),
    ({"distribution_name": "autogen--thing"}, "distribution_name", "PEP 503-normalised"),
    ({"package_name": "autogen_core"}, "package_name", "AutoGen's own packages"),
    ({"package_name": "autogen_ext"}, "package_name", "AutoGen's own packages"),
    ({"package_name": "autogen"}, "package_name", "AutoGen's own packages"),
    ({"package_name": "json"}, "package_name", "standard-library module"),
    ({"package_name": "asyncio"}, "package_name", "standard-library module"),
    ({"package_name": "class"}, "package_name", "keyword"),
    ({"package_name": "3things"}, "package_name", "lowercase identifier"),
    ({"package_name": "My-Package"}, "package_name", "lowercase identifier"),
    ({"package_name": "p" * 29}, "package_name", "at most 28 characters"),
    ({"description": "first\nsecond"}, "description", "single line"),
    ({"author_name": "   "}, "author_name", "must not be empty"),
    ({"author_email": "not-an-email"}, "author_email", "not an email address"),
    ({"author_email": "a@b"}, "author_email", "not an email address"),
    ({"repository_url": "http://github.com/me/x"}, "repository_url", "https URL"),
    ({"repository_url": "https://github.com/me/x y"}, "repository_url", "https URL"),
    ({"license": "GPL-3.0"}, "license", "GPL-3.0"),
    ({"python_min": "3.9"}, "python_min", "3.9"),
    ({"components": "[]"}, "components", "at least one component"),
    ({"components": "[tool, plugin]"}, "components", "plugin"),
    ({"ci": "gitlab"}, "ci", "gitlab"),
    ({"model_client_class": "my_client"}, "model_client_class", "PascalCase"),
    ({"code_executor_class": "1Executor"}, "code_executor_class", "PascalCase"),
    ({"tool_class": "Search Tool"}, "tool_class", "PascalCase"),
    ({"tool_class": "S" * 41}, "tool_class", "not all capitals"),
    ({"tool_class": "Search" * 7}, "tool_class", "at most 40 characters"),
    ({"tool_name": "web search"}, "tool_name", "1-64 characters"),
    ({"tool_name": "x" * 65}, "tool_name", "1-64 characters"),
]


@pytest.mark.parametrize(
    ("answers", "question", "reason"),
    BAD_ANSWERS,
    ids=[f"{next(iter(a))}={next(iter(a.values()))[:20]!r}" for a, _, _ in BAD_ANSWERS],
)
def test_bad_answer_is_refused(
    template_source: Path, tmp_path: Path, answers: dict[str, str], question: str, reason: str
) -> None:
    destination = tmp_path / "never-created"
    data = [arg for key, value in answers.items() for arg in ("--data", f"{key}={value}")]
    proc = subprocess.run(
        [sys.executable, "-m", "copier", "copy", "--defaults", *data, str(template_source), str(destination)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode != 0
    last_line = proc.stderr.strip().splitlines()[-1]
    assert f"'{question}'" in last_line, last_line
    assert reason in last_line, last_line
    # copier prints "Validation error for question '<name>': <reason>" on one line, which terminals clip:
    # the reason comes first and is short; the question's help has the longer guidance.
    message = last_line.partition(f"question '{question}': ")[2]
    if message:  # copier's own refusals of impossible choices ("'3.9' is not a valid choice") have no prefix
        assert len(message) <= MAX_REFUSAL, f"{len(message)} characters: {message!r}"
        answer = next(iter(answers.values()))
        assert not message.startswith(("'", '"')) and (not answer.strip() or answer not in message), "reason first"
    assert not destination.exists(), "a refused answer must leave nothing behind"


def test_table_is_large_enough() -> None:
    assert len(BAD_ANSWERS) >= 20
    assert {q for _, q, _ in BAD_ANSWERS} >= {"distribution_name", "package_name", "tool_name", "components"}
