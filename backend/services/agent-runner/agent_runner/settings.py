"""Agent-runner configuration, read once from the environment at start-up.

Nothing else in the runner reads ``os.environ``: activities, the model
factory and the stigmer-server client receive an :class:`AgentRunnerSettings`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_data_dir
from stigmer.agentexecution.v1.contract_temporal import AGENT_EXECUTION_RUNNER_QUEUE
from stigmer_client.env import SettingsError, env_seconds
from stigmer_runner.settings import RunnerConnections

__all__ = ["DEFAULT_MODEL", "AgentRunnerSettings", "ModelDefaults", "SettingsError"]

#: Used when neither the execution nor the agent names a model.
DEFAULT_MODEL = "openai:gpt-4o-mini"


@dataclass(frozen=True)
class ModelDefaults:
    """Where each provider is reached when the agent names only a model.

    Attributes:
        model: ``provider:model`` used when neither execution nor agent names one
            (``STIGMER_AGENT_MODEL``).
        openai_base_url: OpenAI-compatible endpoint (``STIGMER_AGENT_OPENAI_BASE_URL``,
            else ``OPENAI_BASE_URL``; vLLM, Ollama's ``/v1``, LM Studio, a test server).
        openai_api_key: ``STIGMER_AGENT_OPENAI_API_KEY``, else ``OPENAI_API_KEY``.
        anthropic_base_url: ``STIGMER_AGENT_ANTHROPIC_BASE_URL`` (empty: the SDK's).
        anthropic_api_key: ``ANTHROPIC_API_KEY``.
        ollama_base_url: ``STIGMER_AGENT_OLLAMA_BASE_URL`` (default the local daemon).
    """

    model: str = DEFAULT_MODEL
    openai_base_url: str = ""
    openai_api_key: str = field(default="", repr=False)
    anthropic_base_url: str = ""
    anthropic_api_key: str = field(default="", repr=False)
    ollama_base_url: str = "http://127.0.0.1:11434"


@dataclass(frozen=True)
class AgentRunnerSettings(RunnerConnections):
    """Everything an agent-runner process needs to know about its deployment.

    Where stigmer-server and Temporal are: see :class:`RunnerConnections`.

    Attributes:
        runner_queue: queue of EnsureThread/ExecuteGraphton (contract default +
            ``TEMPORAL_AGENT_EXECUTION_RUNNER_TASK_QUEUE``).
        data_dir: the threads' SQLite checkpoint database lives here
            (``STIGMER_AGENT_RUNNER_DATA_DIR``; default ``<user data dir>/agent-runner``).
        status_interval: seconds between two status reports of one execution
            (``STIGMER_AGENT_STATUS_INTERVAL_SECONDS``, default 0.1: at most ~10/s).
        models: provider endpoints and the default model.
        checkpoint_url: a Postgres URL (``STIGMER_AGENT_CHECKPOINT_URL``): the threads'
            checkpoints live there instead of the SQLite file (may hold a password:
            never logged).
    """

    runner_queue: str = AGENT_EXECUTION_RUNNER_QUEUE.default
    data_dir: Path = Path(user_data_dir("stigmer")) / "agent-runner"
    status_interval: float = 0.1
    models: ModelDefaults = ModelDefaults()
    checkpoint_url: str = field(default="", repr=False)

    @property
    def checkpoint_db(self) -> Path:
        """The SQLite file of the LangGraph checkpointer (every thread of this runner)."""
        return self.data_dir / "threads.sqlite"

    @staticmethod
    def from_env(env: Mapping[str, str] | None = None) -> AgentRunnerSettings:
        """Read the settings (default: the process environment).

        Raises:
            SettingsError: a variable is malformed.
        """
        source = os.environ if env is None else env
        data_dir = source.get("STIGMER_AGENT_RUNNER_DATA_DIR")
        return AgentRunnerSettings(
            **RunnerConnections.fields_from_env(source),
            runner_queue=AGENT_EXECUTION_RUNNER_QUEUE.resolve(source),
            data_dir=Path(data_dir) if data_dir else AgentRunnerSettings.data_dir,
            checkpoint_url=source.get("STIGMER_AGENT_CHECKPOINT_URL") or "",
            status_interval=env_seconds(source, "STIGMER_AGENT_STATUS_INTERVAL_SECONDS", 0.1),
            models=ModelDefaults(
                model=source.get("STIGMER_AGENT_MODEL") or DEFAULT_MODEL,
                openai_base_url=source.get("STIGMER_AGENT_OPENAI_BASE_URL")
                or source.get("OPENAI_BASE_URL")
                or "",
                openai_api_key=source.get("STIGMER_AGENT_OPENAI_API_KEY")
                or source.get("OPENAI_API_KEY")
                or "",
                anthropic_base_url=source.get("STIGMER_AGENT_ANTHROPIC_BASE_URL") or "",
                anthropic_api_key=source.get("ANTHROPIC_API_KEY") or "",
                ollama_base_url=source.get("STIGMER_AGENT_OLLAMA_BASE_URL")
                or ModelDefaults.ollama_base_url,
            ),
        )
