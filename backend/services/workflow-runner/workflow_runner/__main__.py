"""``python -m workflow_runner``: the workflow-runner process (runner + engine workers).

Configuration comes from the environment, read once (see
``workflow_runner.bridge.settings``). Runs until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from stigmer_observability import ENVIRONMENT_HELP as OBSERVABILITY_HELP
from stigmer_observability import (
    ObservabilityConfig,
    ObservabilityConfigError,
    add_arguments,
    setup_observability,
)

ENVIRONMENT_HELP = """environment:
  STIGMER_SERVICE_ENDPOINT   stigmer-server gRPC address (default 127.0.0.1:7234)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="workflow-runner",
        description="Runs Stigmer workflow executions: the ExecuteWorkflow bridge and the DSL engine.",
        epilog=ENVIRONMENT_HELP + OBSERVABILITY_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        observability_config = ObservabilityConfig.from_env().with_flags(args)
    except ObservabilityConfigError as error:
        print(f"workflow-runner: {error}", file=sys.stderr)
        return 2
    from workflow_runner.bridge.settings import RunnerSettings, SettingsError

    try:
        settings = RunnerSettings.from_env()
    except SettingsError as error:
        print(f"workflow-runner: {error}", file=sys.stderr)
        return 2
    # Before anything logs, and the Temporal runtime before any client exists.
    observability = setup_observability("workflow-runner", observability_config)
    from workflow_runner.bridge.process import install_stop_signals, run_runner

    async def serve() -> None:
        stop = asyncio.Event()
        install_stop_signals(stop)
        async with observability.running():
            await run_runner(settings, stop, observability)

    try:
        asyncio.run(serve())
    except (OSError, RuntimeError) as error:
        print(f"workflow-runner: {error}", file=sys.stderr)
        return 1
    finally:
        observability.close()
    return 0


if __name__ == "__main__":
    code = main()
    # Temporal's runtime can abort at interpreter finalization; exit hard (known issue).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
