"""``dsl run FILE``: run a Serverless Workflow file on Temporal and print its output.

Exit codes: 0 the workflow completed (its output JSON on stdout); 1 it faulted
(the problem-details JSON on stdout); 2 the definition or the arguments are
invalid (one readable line on stderr).

Without ``--address`` a local dev server is started for the run; either way
the engine's worker (and the I/O activities) run in this process on a fresh
task queue, so nothing else needs to be running.

From the virtualenv::

    .venv/bin/python -m workflow_runner.cli run wf.yaml --input '{"petId": 1}'

(with ``backend/services/workflow-runner`` on ``PYTHONPATH``), or with Bazel::

    bazel run //backend/services/workflow-runner:dsl -- run $PWD/wf.yaml --input '{"petId": 1}'
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any, NoReturn

from stigmer.engine.v1.contract_pb2 import ExecuteServerlessWorkflowInput
from stigmer_dsl.errors import WorkflowError
from stigmer_dsl.loader import DefinitionError, load_workflow
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError

from workflow_runner.engine.errors import error_from_failure
from workflow_runner.engine.inputs import engine_input
from workflow_runner.engine.worker import build_worker
from workflow_runner.engine.workflow import ExecuteServerlessWorkflow
from workflow_runner.wiring import cli as wiring_cli

EXIT_COMPLETED = 0
EXIT_FAULTED = 1
EXIT_INVALID = 2


class UsageError(Exception):
    """Bad arguments or definition: reported as one line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dsl",
        description="Run Serverless Workflow DSL 1.0 files on Temporal with the Stigmer engine.",
        epilog="Exit codes: 0 completed (output JSON on stdout), 1 faulted (problem details "
        "JSON on stdout), 2 invalid definition or arguments.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run",
        help="run a workflow file and print its output",
        description="Run a workflow file (YAML or JSON) and print its output as JSON.",
    )
    run.add_argument("file", type=Path, help="the workflow definition (YAML or JSON)")
    run.add_argument(
        "--input", default=None, metavar="JSON", help="workflow input as a JSON value (default: {})"
    )
    run.add_argument(
        "--input-file",
        type=Path,
        default=None,
        metavar="FILE",
        help="read the workflow input from a JSON/YAML file instead",
    )
    run.add_argument(
        "--secrets",
        default=None,
        metavar="FILE",
        help="secrets file (YAML/JSON map, name -> value) read for the workflow's use.secrets; "
        "default: the file named by STIGMER_SECRETS_FILE (an inline JSON object also works)",
    )
    run.add_argument(
        "--address",
        default=None,
        metavar="HOST:PORT",
        help="Temporal frontend to use (default: start a local dev server)",
    )
    run.add_argument("--namespace", default="default", help="Temporal namespace (default: default)")
    run.add_argument(
        "--no-schema",
        action="store_true",
        help="skip JSON Schema validation (structural checks still run)",
    )
    wiring_cli.add_run_options(run)  # --catalog, events, nesting (issue 8)
    wiring_cli.add_emit_command(commands)
    wiring_cli.add_serve_events_command(commands)
    return parser


def _json_arg(text: str | None, name: str, default: Any) -> Any:
    if text is None:
        return default
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{name}: not valid JSON ({exc.msg} at column {exc.colno})") from None


def _read_input(args: argparse.Namespace) -> Any:
    if args.input_file is not None:
        import yaml

        try:
            return yaml.safe_load(args.input_file.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise UsageError(f"--input-file: {exc}") from None
    return _json_arg(args.input, "--input", {})


def _resolve(path: Path) -> Path:
    """Relative paths are relative to where the user ran the command (also under ``bazel run``)."""
    base = os.environ.get("BUILD_WORKING_DIRECTORY")
    return path if path.is_absolute() or not base else Path(base) / path


async def _run(args: argparse.Namespace) -> tuple[int, Any]:
    args.file = _resolve(args.file)
    if args.input_file is not None:
        args.input_file = _resolve(args.input_file)
    try:
        text = args.file.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{args.file}: {exc.strerror}") from None
    try:
        load_workflow(text, use_schema=not args.no_schema)
    except DefinitionError as exc:
        raise UsageError(f"{args.file}: {exc}") from None
    workflow_input = _read_input(args)

    env = None
    if args.address:
        client = await wiring_cli.connect(args.address, args.namespace)
    else:
        from stigmer_common.temporal_dev_server import start_dev_server

        env = await start_dev_server()
        client = wiring_cli.with_codec(env.client)
    try:
        return await wiring_cli.execute(client, engine_input(text, workflow_input), args)
    finally:
        if env is not None:
            await env.shutdown()


async def _execute(client: Client, params: ExecuteServerlessWorkflowInput) -> tuple[int, Any]:
    import httpx

    from workflow_runner.activities.io_activities import build_io_activities

    task_queue = f"dsl-cli-{uuid.uuid4()}"
    async with httpx.AsyncClient() as http:
        worker = build_worker(client, task_queue=task_queue, activities=build_io_activities(http))
        async with worker:
            try:
                output = await client.execute_workflow(
                    ExecuteServerlessWorkflow.run, params, id=task_queue, task_queue=task_queue
                )
            except WorkflowFailureError as failure:
                cause = failure.cause
                if isinstance(cause, ApplicationError):
                    return EXIT_FAULTED, error_from_failure(cause).to_dict()
                return EXIT_FAULTED, WorkflowError.runtime(str(cause)).to_dict()
    return EXIT_COMPLETED, output


def main(argv: list[str] | None = None) -> NoReturn:
    """Parse arguments, run, print, and exit (hard exit: see below)."""
    args = build_parser().parse_args(argv)
    code = EXIT_INVALID
    try:
        command = {"emit": wiring_cli.emit, "serve-events": wiring_cli.serve_events}.get(
            args.command, _run
        )
        code, result = asyncio.run(command(args))
        print(json.dumps(result, indent=2, ensure_ascii=False))
    except (UsageError, wiring_cli.WiringUsageError) as exc:
        print(f"dsl: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        code = 130
    # A process that used the Temporal SDK can abort during interpreter
    # finalisation after all work is done; exit hard once output is flushed.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
