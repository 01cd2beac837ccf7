"""Runner settings from the environment and model names."""

from __future__ import annotations

from pathlib import Path

import pytest
from agent_runner.errors import AGENT_SPEC_ERROR
from agent_runner.models import chat_model, split_model
from agent_runner.settings import AgentRunnerSettings, ModelDefaults, SettingsError
from agent_runner.threads import thread_id_for
from langchain_openai import ChatOpenAI
from stigmer.agentexecution.v1 import api_pb2
from temporalio.exceptions import ApplicationError


def test_settings_read_queue_data_dir_and_model_endpoint() -> None:
    settings = AgentRunnerSettings.from_env(
        {
            "TEMPORAL_AGENT_EXECUTION_RUNNER_TASK_QUEUE": "agents-q",
            "STIGMER_AGENT_RUNNER_DATA_DIR": "/tmp/x",
            "STIGMER_AGENT_MODEL": "openai:local",
            "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
            "STIGMER_AGENT_OPENAI_API_KEY": "sk-secret",
        }
    )
    assert settings.runner_queue == "agents-q"
    assert settings.checkpoint_db == Path("/tmp/x/threads.sqlite")
    assert settings.models.openai_base_url == "http://127.0.0.1:9/v1"
    assert "sk-secret" not in repr(settings)  # keys never reach a log line
    with pytest.raises(SettingsError, match="STIGMER_AGENT_STATUS_INTERVAL_SECONDS"):
        AgentRunnerSettings.from_env({"STIGMER_AGENT_STATUS_INTERVAL_SECONDS": "soon"})


def test_model_names_choose_the_provider() -> None:
    assert split_model("gpt-4o") == ("openai", "gpt-4o")
    assert split_model("anthropic:claude-sonnet-4") == ("anthropic", "claude-sonnet-4")
    with pytest.raises(ApplicationError) as refused:
        split_model("mystery:model")
    assert refused.value.type == AGENT_SPEC_ERROR
    assert refused.value.non_retryable
    model = chat_model("", ModelDefaults(model="openai:m", openai_base_url="http://h/v1"))
    assert isinstance(model, ChatOpenAI)
    assert (model.model_name, model.openai_api_base, model.streaming) == ("m", "http://h/v1", True)


def test_thread_ids_are_deterministic() -> None:
    execution = api_pb2.AgentExecution()
    execution.metadata.id = "aex-1"
    assert thread_id_for(execution) == "thread-aex-1"
    execution.status.session_id = "ses-9"
    assert thread_id_for(execution) == thread_id_for(execution) == "thread-ses-9"


def test_anthropic_and_ollama_models_use_the_configured_endpoints() -> None:
    from langchain_anthropic import ChatAnthropic
    from langchain_ollama import ChatOllama

    defaults = ModelDefaults(
        anthropic_base_url="http://127.0.0.1:9",
        anthropic_api_key="sk-ant",
        ollama_base_url="http://127.0.0.1:11434",
    )
    claude = chat_model("anthropic:claude-sonnet-4", defaults)
    assert isinstance(claude, ChatAnthropic)
    assert (claude.model, claude.anthropic_api_url) == ("claude-sonnet-4", "http://127.0.0.1:9")
    assert claude.anthropic_api_key.get_secret_value() == "sk-ant"
    llama = chat_model("ollama:llama3", defaults)
    assert isinstance(llama, ChatOllama)
    assert (llama.model, llama.base_url) == ("llama3", "http://127.0.0.1:11434")


def test_the_contract_does_not_retry_what_another_attempt_cannot_fix() -> None:
    from agent_runner.errors import MODEL_REQUEST_REJECTED
    from stigmer.agentexecution.v1.contract_temporal import EXECUTE_GRAPHTON

    assert EXECUTE_GRAPHTON.retry_policy is not None
    assert set(EXECUTE_GRAPHTON.retry_policy.non_retryable_error_types) == {
        AGENT_SPEC_ERROR,
        MODEL_REQUEST_REJECTED,
    }
