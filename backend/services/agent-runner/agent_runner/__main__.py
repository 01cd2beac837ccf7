"""``python -m agent_runner``: the agent-runner process (EnsureThread, ExecuteGraphton).

Configuration comes from the environment, read once (see
``agent_runner.settings``). Runs until SIGINT/SIGTERM; the start-up steps and
exit codes are every runner's (``stigmer_runner.startup``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from stigmer_runner.startup import exit_process, run_runner_main

if TYPE_CHECKING:
    from stigmer_observability import Observability

    from agent_runner.settings import AgentRunnerSettings

ENVIRONMENT_HELP = """environment:
  STIGMER_SERVER             stigmer-server gRPC address (default 127.0.0.1:7234;
                             STIGMER_SERVICE_ENDPOINT is its older alias)
  STIGMER_SERVICE_API_KEY    API key sent to stigmer-server (none by default)
  STIGMER_SERVICE_USE_TLS    true/false (default false)
  STIGMER_SERVICE_CA_FILE    PEM roots for stigmer-server's certificate (implies TLS)
  TEMPORAL_HOST_PORT         Temporal frontend (default 127.0.0.1:7233)
  TEMPORAL_NAMESPACE         Temporal namespace (default "default")
  TEMPORAL_AGENT_EXECUTION_RUNNER_TASK_QUEUE  EnsureThread/ExecuteGraphton queue override
  STIGMER_AGENT_RUNNER_DATA_DIR   where the threads' checkpoints live
  STIGMER_AGENT_CHECKPOINT_URL    Postgres URL: checkpoints there instead of SQLite
  STIGMER_AGENT_MODEL        default model, provider:model (default openai:gpt-4o-mini)
  STIGMER_AGENT_OPENAI_BASE_URL / OPENAI_BASE_URL   OpenAI-compatible endpoint
  STIGMER_AGENT_OPENAI_API_KEY / OPENAI_API_KEY, ANTHROPIC_API_KEY   provider keys
  STIGMER_AGENT_ANTHROPIC_BASE_URL, STIGMER_AGENT_OLLAMA_BASE_URL    other endpoints
  STIGMER_AGENT_STATUS_INTERVAL_SECONDS  least time between two status reports (0.1)
  STIGMER_PAYLOAD_KEYS / STIGMER_PAYLOAD_KEY_FILE  payload keyring (same as the server's)
"""


def _read_settings() -> AgentRunnerSettings:
    # Imported once the flags are parsed: --help stays quick.
    from agent_runner.settings import AgentRunnerSettings

    return AgentRunnerSettings.from_env()


def _prepare(settings: AgentRunnerSettings) -> None:
    from agent_runner.offline import close_network_lookups

    close_network_lookups(settings.data_dir)


async def _serve(
    settings: AgentRunnerSettings, stop: asyncio.Event, observability: Observability
) -> None:
    from agent_runner.process import run_agent_runner

    await run_agent_runner(settings, stop, observability)


def main(argv: Sequence[str] | None = None) -> int:
    return run_runner_main(
        argv,
        name="agent-runner",
        description="Runs Stigmer agent executions (EnsureThread, ExecuteGraphton).",
        environment_help=ENVIRONMENT_HELP,
        read_settings=_read_settings,
        serve=_serve,
        prepare=_prepare,
    )


if __name__ == "__main__":
    exit_process(main())
