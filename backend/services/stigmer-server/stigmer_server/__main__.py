"""``python -m stigmer_server``: run the Stigmer API server until SIGTERM/SIGINT.

Configuration comes from the environment (see ``stigmer_server.config``);
flags only control process-level behaviour.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from stigmer_common.secret_redaction import install_log_redaction
from stigmer_observability import (
    ENVIRONMENT_HELP as OBSERVABILITY_HELP,
)
from stigmer_observability import (
    Observability,
    ObservabilityConfig,
    ObservabilityConfigError,
    add_arguments,
    setup_observability,
)

from stigmer_server.config import ConfigError, ServerConfig
from stigmer_server.event_loop import EventLoopChoiceError, chosen_loop, run
from stigmer_server.server import CannotListen, StigmerServer, installed_orchestration
from stigmer_server.startup_heap import freeze_startup_heap
from stigmer_server.store import DataDirectoryInUse

_log = logging.getLogger("stigmer_server")

ENVIRONMENT_HELP = """environment:
  STIGMER_DATA_DIR            RocksDB directory (default: the user data dir)
  STIGMER_GRPC_ADDRESS        listen address (default 127.0.0.1:7234; port 0 = any free)
  STIGMER_MAX_MESSAGE_BYTES   largest request/response (default 4194304)
  STIGMER_API_KEYS            comma-separated key entries <id>:<role>:<org>:<scrypt hash>
                              (`stigmer keys create` makes one; unset: zero-config,
                              every caller is the local admin)
  STIGMER_API_KEYS_FILE       file with one key entry per line
  STIGMER_TLS_CERT_FILE, STIGMER_TLS_KEY_FILE  serve TLS with this PEM certificate
                              chain and key (both or neither; default plaintext)
  TEMPORAL_HOST_PORT          Temporal frontend (default 127.0.0.1:7233)
  TEMPORAL_NAMESPACE          Temporal namespace (default "default")
  TEMPORAL_{WORKFLOW,AGENT}_EXECUTION_{STIGMER,RUNNER}_TASK_QUEUE  queue overrides
  STIGMER_RECONCILE_INTERVAL_SECONDS  start PENDING executions that have no
                              orchestration this often (default 30)
  STIGMER_START_DEADLINE_SECONDS  FAIL an execution whose orchestration could not
                              be started for this long (default 600)
  STIGMER_EVENT_LOOP          uvloop (default when installed) or asyncio
"""


def _parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="stigmer-server",
        description="The Stigmer gRPC API server (resources in RocksDB, executions on Temporal).",
        epilog=ENVIRONMENT_HELP + OBSERVABILITY_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--ready-file",
        type=Path,
        help="write the listening address to this file once serving (for supervisors and tests)",
    )
    add_arguments(parser)
    return parser.parse_args(argv)


async def _serve(
    config: ServerConfig, ready_file: Path | None, observability: Observability
) -> None:
    server = StigmerServer(config, orchestration_factory=installed_orchestration())
    await server.start()
    frozen = freeze_startup_heap()  # before the first request: see startup_heap
    _log.debug("startup heap frozen", extra={"event": "heap_frozen", "objects": frozen})
    # Ready: the store is open, Temporal answers, the orchestration workers poll.
    observability.readiness.add("store", server.store_open)
    observability.track_temporal(server.temporal_client, server.orchestration_workers)
    if ready_file is not None:
        tmp = ready_file.with_suffix(".tmp")
        tmp.write_text(server.address, encoding="utf-8")
        tmp.replace(ready_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await server.stop()


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    try:
        config = ServerConfig.from_env()
    except ConfigError as error:
        print(f"stigmer-server: {error}", file=sys.stderr)
        return 2
    try:
        loop = chosen_loop()
    except EventLoopChoiceError as error:
        print(f"stigmer-server: {error}", file=sys.stderr)
        return 2
    try:
        observability_config = ObservabilityConfig.from_env().with_flags(args)
    except ObservabilityConfigError as error:
        print(f"stigmer-server: {error}", file=sys.stderr)
        return 2
    observability = setup_observability("stigmer-server", observability_config)
    install_log_redaction()  # secret values the server opens never reach its logs

    async def serve() -> None:
        async with observability.running():
            await _serve(config, args.ready_file, observability)

    try:
        run(serve(), loop)
    except DataDirectoryInUse as error:
        _log.error(str(error), extra={"event": "data_dir_in_use"})
        return 3
    except CannotListen as error:  # one line, no traceback (a second server on a busy port)
        print(f"stigmer-server: {error}", file=sys.stderr)
        return 2
    finally:
        observability.close()
    return 0


if __name__ == "__main__":
    code = main()
    # The Temporal SDK may abort at interpreter finalization (see DEVELOPERS notes).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
