"""``python -m workflow_runner``: the workflow-runner process (runner + engine workers).

Configuration comes from the environment, read once (see
``workflow_runner.bridge.settings``). Runs until SIGINT/SIGTERM; the start-up
steps and exit codes are every runner's (``stigmer_runner.startup``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from stigmer_runner.startup import exit_process, run_runner_main

if TYPE_CHECKING:
    from stigmer_observability import Observability

    from workflow_runner.bridge.settings import RunnerSettings

ENVIRONMENT_HELP = """environment:
  STIGMER_SERVER             stigmer-server gRPC address (default 127.0.0.1:7234;
                             STIGMER_SERVICE_ENDPOINT is read when it is unset)
  STIGMER_SERVICE_API_KEY    API key sent to stigmer-server (a runner-role key when
                             the server has keys; none by default)
  STIGMER_SERVICE_USE_TLS    true/false (default false)
  STIGMER_SERVICE_CA_FILE    PEM CA to trust for stigmer-server's certificate (implies TLS)
  TEMPORAL_HOST_PORT         Temporal frontend (default 127.0.0.1:7233)
  TEMPORAL_NAMESPACE         Temporal namespace (default "default")
  TEMPORAL_WORKFLOW_EXECUTION_RUNNER_TASK_QUEUE  ExecuteWorkflow queue override
  TEMPORAL_ZIGFLOW_EXECUTION_TASK_QUEUE          engine queue override
  STIGMER_PAYLOAD_KEYS / STIGMER_PAYLOAD_KEY_FILE  payload keyring (same as the server's)
"""


def _read_settings() -> RunnerSettings:
    # Imported once the flags are parsed: --help stays quick.
    from workflow_runner.bridge.settings import RunnerSettings

    return RunnerSettings.from_env()


async def _serve(
    settings: RunnerSettings, stop: asyncio.Event, observability: Observability
) -> None:
    # After the observability set-up: the Temporal runtime before any client exists.
    from workflow_runner.bridge.process import run_runner

    await run_runner(settings, stop, observability)


def main(argv: Sequence[str] | None = None) -> int:
    return run_runner_main(
        argv,
        name="workflow-runner",
        description="Runs Stigmer workflow executions: the ExecuteWorkflow bridge and the DSL engine.",
        environment_help=ENVIRONMENT_HELP,
        read_settings=_read_settings,
        serve=_serve,
    )


if __name__ == "__main__":
    exit_process(main())
