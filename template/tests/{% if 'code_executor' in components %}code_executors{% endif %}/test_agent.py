"""The executor under autogen-agentchat's CodeExecutorAgent, the way an application uses it.

No model is needed for the plain agent: it runs the code blocks found in the messages it receives. The
model-driven path uses a small scripted client (autogen-ext's replay client is not a dependency here).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Literal

import pytest
from autogen_agentchat.agents import ApprovalRequest, ApprovalResponse, CodeExecutorAgent
from autogen_agentchat.base import TaskResult
from autogen_agentchat.messages import CodeExecutionEvent, TextMessage
from autogen_core import CancellationToken
from autogen_core.code_executor import CodeBlock
from autogen_core.models import (
    ChatCompletionClient,
    CreateResult,
    LLMMessage,
    ModelCapabilities,  # pyright: ignore[reportDeprecated]
    ModelFamily,
    ModelInfo,
    RequestUsage,
    UserMessage,
)
from autogen_core.tools import Tool, ToolSchema
from pydantic import BaseModel

from tests.code_executors.conftest import MakeExecutor
from tests.code_executors.observe import exists

_NO_ARGS: Mapping[str, Any] = MappingProxyType({})


def approve(request: ApprovalRequest) -> ApprovalResponse:
    """Approves everything: tests only. Applications should show request.code to a human."""
    return ApprovalResponse(approved=True, reason="approved by the test")


def task(text: str) -> TextMessage:
    return TextMessage(content=text, source="user")


@pytest.mark.asyncio
async def test_agent_runs_a_code_block_without_an_explicit_start(make_executor: MakeExecutor) -> None:
    executor = make_executor(timeout=30)  # never started by hand: the agent does not call start() either
    agent = CodeExecutorAgent("runner", code_executor=executor, approval_func=approve)
    result = await agent.run(task="Run this:\n```python\nprint(sum(range(10)))\n```")
    work_dir = executor.work_dir
    assert exists(work_dir)
    await executor.stop()
    reply = result.messages[-1]
    assert isinstance(reply, TextMessage)
    assert reply.source == "runner"
    assert reply.content == f"{sum(range(10))}\n"
    assert not exists(work_dir)


@pytest.mark.asyncio
async def test_agent_reports_a_failing_block_with_its_exit_code(make_executor: MakeExecutor) -> None:
    async with make_executor(timeout=30) as executor:
        agent = CodeExecutorAgent("runner", code_executor=executor, approval_func=approve)
        result = await agent.run(task=task("```python\nimport sys\nprint('bad input')\nsys.exit(3)\n```"))
    reply = result.messages[-1]
    assert isinstance(reply, TextMessage)
    assert "exit code: 3" in reply.content
    assert "bad input" in reply.content


@pytest.mark.asyncio
async def test_agent_reports_a_timeout(make_executor: MakeExecutor) -> None:
    async with make_executor(timeout=0.5) as executor:
        agent = CodeExecutorAgent("runner", code_executor=executor, approval_func=approve)
        result = await agent.run(task=task("```python\nwhile True:\n    pass\n```"))
    reply = result.messages[-1]
    assert isinstance(reply, TextMessage)
    assert "exit code: 124" in reply.content
    assert "Timeout" in reply.content


@pytest.mark.asyncio
async def test_agent_config_carries_the_executor_config(make_executor: MakeExecutor) -> None:
    executor = make_executor(timeout=12.5, max_output_bytes=2048)
    with pytest.warns(UserWarning, match="approval function"):  # only an agent without one can be dumped
        agent = CodeExecutorAgent("runner", code_executor=executor)
    dumped = agent.dump_component()
    with pytest.warns(UserWarning, match="approval function"):
        reloaded = CodeExecutorAgent.load_component(dumped)
    assert reloaded.dump_component().config["code_executor"] == dumped.config["code_executor"]
    assert dumped.config["code_executor"]["provider"] == type(executor).component_provider_override
    assert dumped.config["code_executor"]["config"]["timeout"] == 12.5


class ScriptedModelClient(ChatCompletionClient):
    """Answers with scripted replies in order and records the messages it was sent."""

    def __init__(self, replies: Sequence[str]) -> None:
        self._replies = list(replies)
        self.calls: list[list[LLMMessage]] = []

    async def create(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Tool | ToolSchema] = (),
        tool_choice: Tool | Literal["auto", "required", "none"] = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = _NO_ARGS,
        cancellation_token: CancellationToken | None = None,
    ) -> CreateResult:
        self.calls.append(list(messages))
        usage = RequestUsage(prompt_tokens=0, completion_tokens=0)
        return CreateResult(finish_reason="stop", content=self._replies.pop(0), usage=usage, cached=False)

    async def create_stream(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Tool | ToolSchema] = (),
        tool_choice: Tool | Literal["auto", "required", "none"] = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = _NO_ARGS,
        cancellation_token: CancellationToken | None = None,
    ) -> AsyncGenerator[str | CreateResult, None]:
        yield await self.create(messages, cancellation_token=cancellation_token)

    async def close(self) -> None:
        pass

    def actual_usage(self) -> RequestUsage:
        return RequestUsage(prompt_tokens=0, completion_tokens=0)

    def total_usage(self) -> RequestUsage:
        return RequestUsage(prompt_tokens=0, completion_tokens=0)

    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = ()) -> int:
        return 0

    def remaining_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = ()) -> int:
        return 100_000

    @property
    def capabilities(self) -> ModelCapabilities:  # pyright: ignore[reportDeprecated]
        return self.model_info  # pyright: ignore[reportReturnType]

    @property
    def model_info(self) -> ModelInfo:
        return ModelInfo(
            vision=False,
            function_calling=False,
            json_output=False,
            family=ModelFamily.UNKNOWN,
            structured_output=False,
        )


@pytest.mark.asyncio
async def test_model_driven_agent_gets_a_code_execution_event_and_reflects_on_the_output(
    make_executor: MakeExecutor,
) -> None:
    client = ScriptedModelClient(["```python\nprint('computed', 6 * 7)\n```", "The script printed 42."])
    async with make_executor(timeout=30) as executor:
        direct = await executor.execute_code_blocks([CodeBlock(code="pass", language="python")], CancellationToken())
        agent = CodeExecutorAgent("coder", code_executor=executor, model_client=client, approval_func=approve)
        # run_stream, not run: run() drops the agent's inner events.
        stream = [item async for item in agent.run_stream(task=task("What is 6 times 7? Use Python."))]
    executions = [item for item in stream if isinstance(item, CodeExecutionEvent)]
    assert len(executions) == 1
    execution = executions[0].result
    assert isinstance(execution, type(direct))  # the event keeps the executor's dataclass, code_file included
    assert execution.exit_code == 0
    assert execution.output == "computed 42\n"
    assert execution.code_file is not None
    outcome = stream[-1]
    assert isinstance(outcome, TaskResult)
    final = outcome.messages[-1]
    assert isinstance(final, TextMessage)
    assert final.content == "The script printed 42."
    reflection_prompt = client.calls[-1]
    assert any(isinstance(m, UserMessage) and m.content == "computed 42\n" for m in reflection_prompt)
