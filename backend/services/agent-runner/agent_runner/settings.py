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

DEFAULT_STIGMER_ENDPOINT = "127.0.0.1:7234"
DEFAULT_TEMPORAL_HOST_PORT = "127.0.0.1:7233"
#: Used when neither the execution nor the agent names a model.
DEFAULT_MODEL = "openai:gpt-4o-mini"


class SettingsError(ValueError):
    """An environment variable holds a value the runner cannot use (names it)."""


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
class AgentRunnerSettings:
    """Everything an agent-runner process needs to know about its deployment.

    Attributes:
        stigmer_endpoint: stigmer-server gRPC address (``STIGMER_SERVER``; its older alias
            ``STIGMER_SERVICE_ENDPOINT`` when unset).
        stigmer_api_key: sent as ``authorization: Bearer`` (``STIGMER_SERVICE_API_KEY``).
        stigmer_use_tls: TLS to stigmer-server (``STIGMER_SERVICE_USE_TLS``; implied by a CA file).
        stigmer_ca_file: PEM roots to verify stigmer-server's certificate
            (``STIGMER_SERVICE_CA_FILE``; unset: the system roots).
        temporal_host_port: Temporal frontend (``TEMPORAL_HOST_PORT``).
        temporal_namespace: ``TEMPORAL_NAMESPACE``.
        runner_queue: queue of EnsureThread/ExecuteGraphton (contract default +
            ``TEMPORAL_AGENT_EXECUTION_RUNNER_TASK_QUEUE``).
        data_dir: the threads' SQLite checkpoint database lives here
            (``STIGMER_AGENT_RUNNER_DATA_DIR``; default ``<user data dir>/agent-runner``).
        status_interval: seconds between two status reports of one execution
            (``STIGMER_AGENT_STATUS_INTERVAL_SECONDS``, default 0.1: at most ~10/s).
        models: provider endpoints and the default model.
    """

    stigmer_endpoint: str = DEFAULT_STIGMER_ENDPOINT
    stigmer_api_key: str = field(default="", repr=False)
    stigmer_use_tls: bool = False
    stigmer_ca_file: str = ""
    temporal_host_port: str = DEFAULT_TEMPORAL_HOST_PORT
    temporal_namespace: str = "default"
    runner_queue: str = AGENT_EXECUTION_RUNNER_QUEUE.default
    data_dir: Path = Path(user_data_dir("stigmer")) / "agent-runner"
    status_interval: float = 0.1
    models: ModelDefaults = ModelDefaults()

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
        ca_file = _readable(source, "STIGMER_SERVICE_CA_FILE")
        return AgentRunnerSettings(
            # One name for the server address across the CLI and the runners.
            stigmer_endpoint=source.get("STIGMER_SERVER")
            or source.get("STIGMER_SERVICE_ENDPOINT")
            or DEFAULT_STIGMER_ENDPOINT,
            stigmer_api_key=source.get("STIGMER_SERVICE_API_KEY") or "",
            stigmer_use_tls=_flag(source, "STIGMER_SERVICE_USE_TLS", default=False)
            or bool(ca_file),
            stigmer_ca_file=ca_file,
            temporal_host_port=source.get("TEMPORAL_HOST_PORT") or DEFAULT_TEMPORAL_HOST_PORT,
            temporal_namespace=source.get("TEMPORAL_NAMESPACE") or "default",
            runner_queue=AGENT_EXECUTION_RUNNER_QUEUE.resolve(source),
            data_dir=Path(data_dir) if data_dir else AgentRunnerSettings.data_dir,
            status_interval=_seconds(source, "STIGMER_AGENT_STATUS_INTERVAL_SECONDS", 0.1),
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


def _flag(source: Mapping[str, str], name: str, *, default: bool) -> bool:
    text = (source.get(name) or "").strip().lower()
    if not text:
        return default
    if text not in ("true", "false", "1", "0", "yes", "no"):
        raise SettingsError(f"{name} must be true or false, got {text!r}")
    return text in ("true", "1", "yes")


def _readable(source: Mapping[str, str], name: str) -> str:
    path = (source.get(name) or "").strip()
    if path:
        try:
            with open(path, "rb"):
                pass
        except OSError as error:
            raise SettingsError(f"{name} {path!r} cannot be read: {error.strerror}") from None
    return path


def _seconds(source: Mapping[str, str], name: str, default: float) -> float:
    text = (source.get(name) or "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, got {text!r}") from None
    if value < 0:
        raise SettingsError(f"{name} must not be negative, got {text!r}")
    return value
