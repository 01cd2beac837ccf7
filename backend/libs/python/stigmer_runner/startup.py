"""``main()`` of a runner process: the steps both runners take in the same order.

Flags and the observability variables, then the runner's settings (both
malformed: exit 2 with one line), then logs, metrics and health before anything
logs (and the Temporal runtime before any client exists), log redaction, the
runner's own preparation, and its serving coroutine until SIGINT/SIGTERM. A
failure to start (a port taken, Temporal unreachable) exits 1 with one line.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import NoReturn, TypeVar

from stigmer_client.env import SettingsError
from stigmer_common.secret_redaction import install_log_redaction
from stigmer_observability import ENVIRONMENT_HELP as OBSERVABILITY_HELP
from stigmer_observability import (
    Observability,
    ObservabilityConfig,
    ObservabilityConfigError,
    add_arguments,
    setup_observability,
)

#: Exit codes of a runner process.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

SettingsT = TypeVar("SettingsT")

#: Serves until the event is set; gets the process's observability for its checks.
Serve = Callable[[SettingsT, asyncio.Event, Observability], Awaitable[None]]


def run_runner_main(
    argv: Sequence[str] | None,
    *,
    name: str,
    description: str,
    environment_help: str,
    read_settings: Callable[[], SettingsT],
    serve: Serve[SettingsT],
    prepare: Callable[[SettingsT], None] | None = None,
) -> int:
    """Run one runner process until it is stopped; returns its exit code.

    Args:
        argv: Command-line arguments (None: ``sys.argv``).
        name: The process name in logs, metrics and error lines (``workflow-runner``).
        description: ``--help``'s first paragraph.
        environment_help: ``--help``'s list of the runner's variables.
        read_settings: Reads the runner's settings from the environment (raises
            :class:`SettingsError`); called after the flags are parsed, so
            heavy imports can wait inside it.
        serve: The runner's workers, until the event is set.
        prepare: Called once logging is set up, before serving.
    """
    parser = argparse.ArgumentParser(
        prog=name,
        description=description,
        epilog=environment_help + OBSERVABILITY_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        observability_config = ObservabilityConfig.from_env().with_flags(args)
    except ObservabilityConfigError as error:
        print(f"{name}: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        settings = read_settings()
    except SettingsError as error:
        print(f"{name}: {error}", file=sys.stderr)
        return EXIT_USAGE
    # Before anything logs, and the Temporal runtime before any client exists.
    observability = setup_observability(name, observability_config)
    install_log_redaction()  # secrets and keys this process resolves never reach its logs
    if prepare is not None:
        prepare(settings)

    async def serve_until_stopped() -> None:
        stop = asyncio.Event()
        install_stop_signals(stop)
        async with observability.running():
            await serve(settings, stop, observability)

    try:
        asyncio.run(serve_until_stopped())
    except (OSError, RuntimeError) as error:
        print(f"{name}: {error}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        observability.close()
    return EXIT_OK


def install_stop_signals(stop: asyncio.Event) -> None:
    """SIGINT/SIGTERM set ``stop`` (graceful worker shutdown) instead of raising."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


def exit_process(code: int) -> NoReturn:
    """Exit with ``code`` without interpreter finalization.

    Temporal's runtime can abort at finalization (a known issue), which would
    replace the exit code; the output streams are flushed first.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
