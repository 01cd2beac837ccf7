"""``stigmer`` subcommands: server, apply, run, cancel, pause, resume, emit, demo.

Exit codes: 0 success / execution COMPLETED; 1 execution FAILED or CANCELLED;
2 bad input or an unreachable dependency (one line on stderr); 130 interrupted
(``demo`` or ``run --follow`` before the execution ended).

``server`` and ``demo`` treat SIGTERM and SIGHUP like Ctrl-C (SIGINT): an
orderly stop of runner, server, then Temporal. ``server`` then exits 0 (a stop
request is how a server ends); ``demo`` exits 130. A signal the launcher set to
ignored (``nohup``, a background job of a script) stays ignored.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import platformdirs
from stigmer.commons.v1 import phase_pb2

from stigmer_cli import keys_command
from stigmer_cli.agent_commands import (
    add_agent_commands,
    agent_main,
    apply_agent_resources,
    load_agent_resources,
)
from stigmer_cli.api import StigmerClient, follow, phase_name, result_json
from stigmer_cli.errors import UsageError
from stigmer_cli.events import DEFAULT_EVENTS_ADDRESS, cloud_event, emit, parse_data
from stigmer_cli.local_stack import LocalStack, start_local_stack
from stigmer_cli.manifests import load_workflow

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, the shell's code for a Ctrl-C
DEFAULT_SERVER = "127.0.0.1:7234"
DEFAULT_CONSOLE_ADDRESS = "127.0.0.1:7236"

EPILOG = """examples:
  stigmer server                                   # local platform until Ctrl-C
  stigmer apply -f examples/hello-stigmer.yaml     # store a workflow
  stigmer run hello-stigmer --input '{"name": "Stigmer"}' --follow
  stigmer cancel wex-...                            # stop a running execution
  stigmer pause wex-... / stigmer resume wex-...   # hold it between tasks, go on
  stigmer demo examples/hello-stigmer.yaml --input '{"name": "Stigmer"}'
  stigmer emit --type com.example.paid --source /shop --data '{"order": 7}'
  stigmer keys create --id ci --role user --org acme --append keys.txt

environment:
  STIGMER_SERVER       stigmer-server address for apply/run/cancel/pause/resume (default 127.0.0.1:7234)
  STIGMER_API_KEY      API key sent to stigmer-server (`stigmer keys create` makes one)
  STIGMER_USE_TLS      true: TLS to stigmer-server (system roots); STIGMER_CA_FILE: a PEM CA to trust
  STIGMER_EVENTS       event endpoint for emit (default 127.0.0.1:7235)
  TEMPORAL_HOST_PORT   an existing Temporal to use (default: start a dev server if 127.0.0.1:7233 is free)
"""


CONTROL_VERBS = (
    (
        "cancel",
        "stop a running execution",
        "Cancel an execution: it ends CANCELLED, its running task (a wait, an HTTP "
        "call...) is interrupted and its open tasks are marked CANCELLED.",
    ),
    (
        "pause",
        "hold an execution before its next task",
        "Pause an execution: the task running now finishes, the next one waits for "
        "`stigmer resume`.",
    ),
    ("resume", "let a paused execution go on", "Resume a paused execution."),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stigmer",
        description="Stigmer: durable agentic workflows. Run a local platform, apply "
        "workflows, run and follow executions.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    server = commands.add_parser(
        "server",
        help="run the local platform (Temporal if needed, stigmer-server, workflow runner)",
        description="Zero-config local platform on loopback; Ctrl-C stops everything in order.",
    )
    server.add_argument("--data-dir", type=Path, help="data directory (default: user data dir)")
    server.add_argument(
        "--address", default=DEFAULT_SERVER, help=f"gRPC listen address (default {DEFAULT_SERVER})"
    )
    server.add_argument(
        "--events",
        default=DEFAULT_EVENTS_ADDRESS,
        metavar="HOST:PORT",
        help=f"CloudEvents endpoint (`stigmer emit`) address (default {DEFAULT_EVENTS_ADDRESS})",
    )
    server.add_argument(
        "--metrics-port",
        type=int,
        metavar="PORT",
        help="stigmer-server's /metrics, /healthz, /readyz port; the runner's is PORT+1 "
        "(default $STIGMER_LOCAL_METRICS_PORT, else free ports, printed at start-up)",
    )
    server.add_argument(
        "--console",
        default=os.environ.get("STIGMER_CONSOLE_ADDRESS") or DEFAULT_CONSOLE_ADDRESS,
        metavar="HOST:PORT",
        help="web console address, 'off' for none "
        f"(default $STIGMER_CONSOLE_ADDRESS or {DEFAULT_CONSOLE_ADDRESS})",
    )

    apply = commands.add_parser(
        "apply",
        help="create or update a workflow from a file",
        description="Apply a Workflow resource (kind: Workflow) or a DSL 1.0 workflow file.",
    )
    apply.add_argument("-f", "--file", type=Path, required=True, help="YAML or JSON file")
    _server_option(apply)

    run = commands.add_parser(
        "run",
        help="start an execution of a workflow",
        description="Create a WorkflowExecution; with --follow, stream its progress and "
        "print the output JSON (exit 0 completed, 1 failed).",
    )
    run.add_argument("workflow", metavar="WORKFLOW", help="workflow slug or id (wfl-...)")
    _input_option(run)
    run.add_argument("--follow", action="store_true", help="stream progress until it ends")
    _server_option(run)

    add_agent_commands(commands, _server_option)

    for verb, help_text, description in CONTROL_VERBS:
        control = commands.add_parser(verb, help=help_text, description=description)
        control.add_argument("execution", metavar="EXECUTION", help="execution id (wex-...)")
        control.add_argument("--reason", default="", help="why (kept in the execution)")
        _server_option(control)

    emit_parser = commands.add_parser(
        "emit",
        help="publish a CloudEvent to executions waiting in listen",
        description="Publish one CloudEvent to the platform's event endpoint; executions "
        "whose listen task waits for it receive it. Prints the event as sent.",
    )
    emit_parser.add_argument("--type", required=True, help="CloudEvent type")
    emit_parser.add_argument("--source", required=True, help="CloudEvent source (a URI)")
    emit_parser.add_argument("--data", metavar="JSON", help="event data, a JSON value")
    emit_parser.add_argument("--subject", help="CloudEvent subject")
    emit_parser.add_argument(
        "--events",
        default=os.environ.get("STIGMER_EVENTS") or DEFAULT_EVENTS_ADDRESS,
        metavar="HOST:PORT",
        help=f"event endpoint (default $STIGMER_EVENTS or {DEFAULT_EVENTS_ADDRESS})",
    )

    demo = commands.add_parser(
        "demo",
        help="local platform + apply + run --follow in one go, then shut down",
        description="Start a throwaway local platform, apply FILE, run it with --input, "
        "follow it to the end, print the output JSON and stop everything.",
    )
    demo.add_argument("file", type=Path, metavar="FILE", help="workflow file (DSL 1.0 or Workflow)")
    _input_option(demo)
    demo.add_argument(
        "--data-dir", type=Path, help="keep data here (default: a temporary directory, removed)"
    )
    keys_command.add_parser(commands)
    return parser


def _server_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--server",
        default=os.environ.get("STIGMER_SERVER") or DEFAULT_SERVER,
        help="stigmer-server address (default $STIGMER_SERVER or 127.0.0.1:7234)",
    )


def _input_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--input", default="{}", metavar="JSON", help="workflow input, a JSON object (default {})"
    )


def resolve_path(path: Path) -> Path:
    """Relative paths are the user's: under ``bazel run`` that is BUILD_WORKING_DIRECTORY."""
    if path.is_absolute():
        return path
    base = os.environ.get("BUILD_WORKING_DIRECTORY")
    return (Path(base) / path) if base else path


def parse_input(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"--input: not valid JSON ({error.msg} at position {error.pos})") from None
    if not isinstance(value, dict):
        raise UsageError(f"--input: must be a JSON object, got {type(value).__name__}")
    return value


async def apply_file(address: str, path: Path) -> tuple[str, str]:
    workflow, notes = load_workflow(path)
    for note in notes:
        print(f"note: {path}: {note}", file=sys.stderr)
    async with StigmerClient(address, os.environ.get("STIGMER_API_KEY", "")) as client:
        applied = await client.apply_workflow(workflow)
    return applied.metadata.id, applied.metadata.slug


async def run_workflow(
    address: str, workflow_ref: str, workflow_input: dict[str, Any], *, wait: bool
) -> int:
    async with StigmerClient(address, os.environ.get("STIGMER_API_KEY", "")) as client:
        workflow = await client.find_workflow(workflow_ref)
        execution = await client.start_execution(workflow, workflow_input)
        print(f"execution {execution.metadata.id}", file=sys.stderr, flush=True)
        if not wait:
            print(execution.metadata.id)
            return EXIT_OK
        final = await follow(client, execution.metadata.id)
    print(result_json(final), flush=True)
    return EXIT_OK if final.status.phase == phase_pb2.COMPLETED else EXIT_FAILED


async def control_execution(address: str, verb: str, execution_id: str, reason: str) -> int:
    """One line on stdout: the execution id, its phase and whether it is paused."""
    async with StigmerClient(address, os.environ.get("STIGMER_API_KEY", "")) as client:
        execution = await client.control_execution(verb, execution_id, reason)
    status = execution.status
    paused = " (paused)" if status.paused else ""
    print(f"{execution.metadata.id} {phase_name(status.phase)}{paused}", flush=True)
    return EXIT_OK


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


def _stop(stack: LocalStack) -> None:
    print(
        "stopping: agent-runner, workflow-runner, stigmer-server, temporal",
        file=sys.stderr,
        flush=True,
    )
    stack.stop()


def _serve(args: argparse.Namespace) -> int:
    data_dir = resolve_path(args.data_dir or Path(platformdirs.user_data_dir("stigmer")))
    stack: LocalStack | None = None
    with stop_signals_interrupt():
        try:
            stack = start_local_stack(
                data_dir,
                server_address=args.address,
                events_address=args.events,
                metrics_port=args.metrics_port,
                console_address=None if args.console == "off" else args.console,
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
                time.sleep(0.3)
        except KeyboardInterrupt:
            pass  # a stop request (start_local_stack stops what it started itself)
        finally:
            if stack is not None:
                _stop(stack)
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    path = resolve_path(args.file)
    workflow_input = parse_input(args.input)
    load_workflow(path)  # fail on a bad file before starting anything
    temporary = args.data_dir is None
    data_dir = (
        Path(tempfile.mkdtemp(prefix="stigmer-demo-")) if temporary else resolve_path(args.data_dir)
    )
    stack: LocalStack | None = None
    with stop_signals_interrupt():
        try:
            stack = start_local_stack(data_dir, persistent_temporal=not temporary)
            workflow_id, slug = asyncio.run(apply_file(stack.server_address, path))
            print(f"applied workflow {slug} ({workflow_id})", file=sys.stderr, flush=True)
            return asyncio.run(
                run_workflow(stack.server_address, workflow_id, workflow_input, wait=True)
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
                shutil.rmtree(data_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "server":
            return _serve(args)
        if args.command == "apply":
            agent_resources = load_agent_resources(resolve_path(args.file))
            if agent_resources is not None:  # Agent, McpServer, Skill, Environment
                for line in asyncio.run(apply_agent_resources(args.server, agent_resources)):
                    print(line)
                return EXIT_OK
            workflow_id, slug = asyncio.run(apply_file(args.server, resolve_path(args.file)))
            print(json.dumps({"id": workflow_id, "slug": slug}))
            return EXIT_OK
        if args.command == "run":
            return asyncio.run(
                run_workflow(args.server, args.workflow, parse_input(args.input), wait=args.follow)
            )
        if args.command in {verb for verb, _, _ in CONTROL_VERBS}:
            if not args.execution.strip():
                raise UsageError(f"{args.command}: EXECUTION must be an execution id (wex-...)")
            return asyncio.run(
                control_execution(args.server, args.command, args.execution.strip(), args.reason)
            )
        if args.command == "agent":
            return agent_main(args)
        if args.command == "emit":
            event = cloud_event(
                type=args.type,
                source=args.source,
                data=parse_data(args.data),
                subject=args.subject,
            )
            emit(args.events, event)
            print(json.dumps(event))
            return EXIT_OK
        if args.command == "demo":
            return _demo(args)
        if args.command == "keys":
            return keys_command.run(args)
    except UsageError as error:
        print(f"stigmer: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:  # e.g. Ctrl-C during `run --follow`: no traceback
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    raise AssertionError(args.command)
