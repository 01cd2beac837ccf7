"""The demo's scripted model: used only when no model is configured, and what the
agent-runner is given then really answers through the runner's own model code."""

from __future__ import annotations

import pytest
from agent_runner.models import chat_model
from agent_runner.settings import AgentRunnerSettings
from langchain_core.messages import HumanMessage
from stigmer_cli.scripted_agent_model import (
    MODEL_VARIABLES,
    describe,
    model_configured,
    scripted_model_unless_configured,
)


@pytest.mark.parametrize("name", MODEL_VARIABLES)
def test_any_model_variable_means_configured(name: str) -> None:
    assert model_configured({name: "x"})
    with scripted_model_unless_configured({name: "x"}) as env:
        assert env == {}
    assert describe({}) == ""


def test_an_empty_variable_is_not_a_configured_model() -> None:
    assert not model_configured({"STIGMER_AGENT_MODEL": "", "PATH": "/bin"})


async def test_without_a_model_the_runner_is_given_a_scripted_model_that_answers() -> None:
    with scripted_model_unless_configured({}) as env:
        assert env["STIGMER_AGENT_MODEL"] == "openai:scripted"
        assert env["STIGMER_AGENT_OPENAI_BASE_URL"] in describe(env)
        # The agent-runner reads its defaults from this environment, as in the demo.
        settings = AgentRunnerSettings.from_env(env)
        model = chat_model(settings.models.model, settings.models)
        reply = await model.ainvoke([HumanMessage(content="hello demo")])
    assert reply.content == "I heard: hello demo."
