"""``python -m agent_runner``: the agent-runner process (EnsureThread, ExecuteGraphton).

Configuration comes from the environment, read once (see
``agent_runner.settings``). Runs until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

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
  STIGMER_AGENT_MODEL        default model, provider:model (default openai:gpt-4o-mini)
  STIGMER_AGENT_OPENAI_BASE_URL / OPENAI_BASE_URL   OpenAI-compatible endpoint
  STIGMER_AGENT_OPENAI_API_KEY / OPENAI_API_KEY, ANTHROPIC_API_KEY   provider keys
  STIGMER_AGENT_ANTHROPIC_BASE_URL, STIGMER_AGENT_OLLAMA_BASE_URL    other endpoints
  STIGMER_AGENT_STATUS_INTERVAL_SECONDS  least time between two status reports (0.1)
  STIGMER_PAYLOAD_KEYS / STIGMER_PAYLOAD_KEY_FILE  payload keyring (same as the server's)
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="agent-runner",
        description="Runs Stigmer agent executions (EnsureThread, ExecuteGraphton).",
        epilog=ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("STIGMER_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from agent_runner.offline import close_network_lookups
    from agent_runner.process import install_stop_signals, run_agent_runner
    from agent_runner.settings import AgentRunnerSettings, SettingsError

    try:
        settings = AgentRunnerSettings.from_env()
    except SettingsError as error:
        print(f"agent-runner: {error}", file=sys.stderr)
        return 2
    close_network_lookups(settings.data_dir)

    async def serve() -> None:
        stop = asyncio.Event()
        install_stop_signals(stop)
        await run_agent_runner(settings, stop)

    try:
        asyncio.run(serve())
    except (OSError, RuntimeError) as error:
        print(f"agent-runner: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    code = main()
    # Temporal's runtime can abort at interpreter finalization; exit hard (known issue).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
