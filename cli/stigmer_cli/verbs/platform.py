"""``stigmer server`` and ``stigmer demo``: the local platform, until Ctrl-C or for one run.

Both treat SIGTERM and SIGHUP like Ctrl-C (SIGINT): an orderly stop of runner,
server, then Temporal. ``server`` then exits 0 (a stop request is how a server
ends); ``demo`` exits 130. A signal the launcher set to ignored (``nohup``, a
background job of a script) stays ignored.

A child of the stack that dies (at start or later) stops the others and ends
either command with one line naming it and its log, exit 2: ``server`` checks
between sleeps, ``demo`` while it applies and follows (a run whose runner is
gone would otherwise stay PENDING and the demo would wait forever).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Awaitable, Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeVar

import click
import platformdirs

from stigmer_cli.errors import EXIT_INTERRUPTED, EXIT_OK
from stigmer_cli.events import DEFAULT_EVENTS_ADDRESS
from stigmer_cli.manifests import load_workflow
from stigmer_cli.options import DEFAULT_SERVER, input_option, parse_input, resolve_path
from stigmer_cli.verbs.workflows import apply_file, run_workflow

if TYPE_CHECKING:
    from stigmer_cli.local_stack import LocalStack

DEFAULT_CONSOLE_ADDRESS = "127.0.0.1:7236"
#: How often a running stack's children are checked.
WATCH_SECONDS = 0.3

T = TypeVar("T")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def stop_signals_interrupt() -> Iterator[None]:
    """Within the block SIGTERM and SIGHUP raise ``KeyboardInterrupt``, as Ctrl-C does.

    ``timeout``, ``systemd``, ``docker stop`` and a closed terminal then stop the
    stack in order instead of killing the supervisor outright. Ignored signals
    stay ignored; SIGINT keeps Python's own handler (``asyncio.run`` relies on it).
    """
    previous: dict[signal.Signals, Any] = {}
    for stop_signal in (signal.SIGTERM, signal.SIGHUP):
        handler = signal.getsignal(stop_signal)
        if handler != signal.SIG_IGN:
            previous[stop_signal] = handler
            signal.signal(stop_signal, _interrupt)
    try:
        yield
    finally:
        for stop_signal, handler in previous.items():
            signal.signal(stop_signal, handler)


async def while_stack_lives(stack: LocalStack, work: Awaitable[T]) -> T:
    """``work``'s result, unless a child of ``stack`` dies first.

    Raises:
        UsageError: one line naming the child (``work`` is cancelled).
    """
    task = asyncio.ensure_future(work)
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=WATCH_SECONDS)
            if done:
                return task.result()
            stack.check_alive()
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _stop(stack: LocalStack) -> None:
    print(
        "stopping: agent-runner, workflow-runner, stigmer-server, temporal",
        file=sys.stderr,
        flush=True,
    )
    stack.stop()


@click.command("server")
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="data directory (default: the user data dir)",
)
@click.option(
    "--address",
    default=DEFAULT_SERVER,
    show_default=True,
    metavar="HOST:PORT",
    help="gRPC listen address",
)
@click.option(
    "--events",
    default=DEFAULT_EVENTS_ADDRESS,
    show_default=True,
    metavar="HOST:PORT",
    help="CloudEvents endpoint (`stigmer emit`) address",
)
@click.option(
    "--metrics-port",
    type=click.IntRange(min=0, max=65534),
    metavar="PORT",
    help="stigmer-server's /metrics, /healthz, /readyz port; the workflow runner's is PORT+1, the agent runner's PORT+2 "
    "(default $STIGMER_LOCAL_METRICS_PORT, else free ports, printed at start-up)",
)
@click.option(
    "--console",
    envvar="STIGMER_CONSOLE_ADDRESS",
    default=DEFAULT_CONSOLE_ADDRESS,
    show_default=f"$STIGMER_CONSOLE_ADDRESS or {DEFAULT_CONSOLE_ADDRESS}",
    metavar="HOST:PORT",
    help="web console address, 'off' for none",
)
def server_command(
    data_dir: Path | None, address: str, events: str, metrics_port: int | None, console: str
) -> int:
    """Run the local platform until Ctrl-C.

    Temporal (a dev server unless one answers at TEMPORAL_HOST_PORT),
    stigmer-server and the workflow runner, on loopback; Ctrl-C stops
    everything in order.
    """
    from stigmer_cli.local_stack import start_local_stack  # Temporal's SDK: only when needed

    directory = resolve_path(data_dir or Path(platformdirs.user_data_dir("stigmer")))
    stack: LocalStack | None = None
    with stop_signals_interrupt():
        try:
            stack = start_local_stack(
                directory,
                server_address=address,
                events_address=events,
                metrics_port=metrics_port,
                console_address=None if console == "off" else console,
            )
            if stack.console_address:
                print(f"console on http://{stack.console_address}/", file=sys.stderr, flush=True)
            print(
                f"stigmer-server on {stack.server_address}, Temporal on "
                f"{stack.temporal_address}, events on {stack.events_address}, "
                f"data in {stack.data_dir} "
                f"(logs in {stack.data_dir / 'logs'}); Ctrl-C to stop",
                file=sys.stderr,
                flush=True,
            )
            print(f"metrics and health: {stack.describe_observability()}", file=sys.stderr)
            while True:
                stack.check_alive()
                time.sleep(WATCH_SECONDS)
        except KeyboardInterrupt:
            pass  # a stop request (start_local_stack stops what it started itself)
        finally:
            if stack is not None:
                _stop(stack)
    return EXIT_OK


@click.command("demo")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE")
@input_option
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="keep data here (default: a temporary directory, removed)",
)
def demo_command(file: Path, input_text: str, data_dir: Path | None) -> int:
    """Local platform + apply + run --follow in one go, then shut down.

    Starts a throwaway local platform, applies FILE (DSL 1.0 or Workflow),
    runs it with --input, follows it to the end, prints the output JSON and
    stops everything.
    """
    from stigmer_cli.local_stack import start_local_stack  # Temporal's SDK: only when needed
    from stigmer_cli.scripted_agent_model import describe, scripted_model_unless_configured

    path = resolve_path(file)
    workflow_input = parse_input(input_text)
    load_workflow(path)  # fail on a bad file before starting anything
    temporary = data_dir is None
    directory = (
        Path(tempfile.mkdtemp(prefix="stigmer-demo-"))
        if data_dir is None
        else resolve_path(data_dir)
    )
    stack: LocalStack | None = None
    with stop_signals_interrupt(), scripted_model_unless_configured(os.environ) as agent_env:
        try:
            stack = start_local_stack(
                directory, persistent_temporal=not temporary, agent_env=agent_env
            )
            if agent_env:
                print(describe(agent_env), file=sys.stderr, flush=True)
            workflow_id, slug = asyncio.run(
                while_stack_lives(stack, apply_file(stack.server_address, path))
            )
            print(f"applied workflow {slug} ({workflow_id})", file=sys.stderr, flush=True)
            return asyncio.run(
                while_stack_lives(
                    stack,
                    run_workflow(stack.server_address, workflow_id, workflow_input, wait=True),
                )
            )
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr, flush=True)
            if stack is not None:
                _stop(stack)
            return EXIT_INTERRUPTED
        finally:
            if stack is not None:
                stack.stop()  # no-op when already stopped
            if temporary:
                shutil.rmtree(directory, ignore_errors=True)


COMMANDS = [server_command, demo_command]
