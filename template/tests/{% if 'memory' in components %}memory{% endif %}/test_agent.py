"""The memory inside AutoGen's real `AssistantAgent`, with autogen-ext's replay model recording what it was sent.

`ListMemory` runs the same scenario as a control: it hands the model every memory, this memory the relevant
ones. Like `test_memory.py`, these tests name no store.
"""

from __future__ import annotations

import pytest
from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.messages import MemoryQueryEvent, TextMessage
from autogen_core.memory import ListMemory, Memory
from autogen_core.models import ModelFamily, ModelInfo, SystemMessage
from autogen_ext.models.replay import ReplayChatCompletionClient

from .autogen_helpers import FullTextMemory, MakeMemory, text
from .samples import BICYCLE, DOUGH, PIZZA

MODEL_INFO = ModelInfo(
    vision=False, function_calling=True, json_output=False, family=ModelFamily.UNKNOWN, structured_output=False
)
TASK = "Which food does the user love?"


@pytest.mark.parametrize("kind", ["full_text", "list_memory"])
@pytest.mark.asyncio
async def test_the_model_sees_the_memories_the_agent_retrieved(make_memory: MakeMemory, kind: str) -> None:
    memory: Memory = make_memory() if kind == "full_text" else ListMemory()
    for fact in (BICYCLE, DOUGH, PIZZA):
        await memory.add(text(fact))
    model = ReplayChatCompletionClient(["You love pizza and pasta."], model_info=MODEL_INFO)
    agent = AssistantAgent("assistant", model_client=model, memory=[memory])

    result = await agent.run(task=TASK)

    (event,) = [m for m in result.messages if isinstance(m, MemoryQueryEvent)]
    retrieved = [str(found.content) for found in event.content]
    (request,) = model.create_calls
    memory_messages = [m for m in request["messages"] if isinstance(m, SystemMessage) and "memory" in m.content]
    assert len(memory_messages) == 1, "one system message with the memories reached the model"
    sent = memory_messages[0].content
    assert all(f"{n}. {fact}" in sent for n, fact in enumerate(retrieved, start=1))
    if kind == "full_text":
        assert retrieved[0] == PIZZA, "the best match comes first"
        assert BICYCLE not in sent, "a memory sharing no word with the task stays out of the request"
    else:
        assert sorted(retrieved) == sorted([BICYCLE, DOUGH, PIZZA]), "ListMemory hands over everything"
    final = result.messages[-1]
    assert isinstance(final, TextMessage)
    assert final.content == "You love pizza and pasta."


@pytest.mark.asyncio
async def test_an_agent_config_carries_the_memory_config() -> None:
    model = ReplayChatCompletionClient(["ok"], model_info=MODEL_INFO)
    memory = FullTextMemory(k=2, score_threshold=0.5)
    agent = AssistantAgent("assistant", model_client=model, memory=[memory])
    dumped = agent.dump_component()
    reloaded = AssistantAgent.load_component(dumped)
    assert reloaded.dump_component().config["memory"] == dumped.config["memory"]
    assert dumped.config["memory"][0]["config"] == memory.dump_component().config
    await memory.close()
