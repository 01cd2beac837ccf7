"""``stigmer apply`` and ``stigmer run``: store a workflow, start (and follow) an execution."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import click
from stigmer.commons.v1 import phase_pb2
from stigmer.workflowexecution.v1 import api_pb2 as execution_api

from stigmer_cli.agent_commands import apply_agent_resources, load_agent_resources
from stigmer_cli.api import StigmerClient, follow, result_json
from stigmer_cli.console import stderr_console
from stigmer_cli.errors import EXIT_FAILED, EXIT_OK
from stigmer_cli.manifests import load_workflow
from stigmer_cli.options import (
    api_key,
    input_option,
    parse_input,
    resolve_path,
    server_option,
)
from stigmer_cli.progress import LiveProgress, PlainProgress, ProgressView


async def apply_file(address: str, path: Path) -> tuple[str, str]:
    workflow, notes = load_workflow(path)
    for note in notes:
        print(f"note: {path}: {note}", file=sys.stderr)
    async with StigmerClient(address, api_key()) as client:
        applied = await client.apply_workflow(workflow)
    return applied.metadata.id, applied.metadata.slug


async def follow_to_end(
    client: StigmerClient, execution_id: str
) -> execution_api.WorkflowExecution:
    """Follow with the live view when stderr is a terminal, plain lines otherwise."""
    console = stderr_console()
    if console.is_terminal and not console.is_dumb_terminal:
        with LiveProgress(console, execution_id) as live:
            return await follow(client, execution_id, view=live)
    view: ProgressView = PlainProgress(sys.stderr)
    return await follow(client, execution_id, view=view)


def exit_code_of(execution: execution_api.WorkflowExecution) -> int:
    return EXIT_OK if execution.status.phase == phase_pb2.COMPLETED else EXIT_FAILED


async def run_workflow(
    address: str, workflow_ref: str, workflow_input: dict[str, Any], *, wait: bool
) -> int:
    async with StigmerClient(address, api_key()) as client:
        workflow = await client.find_workflow(workflow_ref)
        execution = await client.start_execution(workflow, workflow_input)
        print(f"execution {execution.metadata.id}", file=sys.stderr, flush=True)
        if not wait:
            print(execution.metadata.id)
            return EXIT_OK
        final = await follow_to_end(client, execution.metadata.id)
    print(result_json(final), flush=True)
    return exit_code_of(final)


@click.command("apply")
@click.option(
    "-f",
    "--file",
    "path",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="YAML or JSON file",
)
@server_option
def apply_command(path: Path, server: str) -> int:
    """Create or update a workflow, or agent resources, from a file.

    The file is a Workflow resource (kind: Workflow) or a DSL 1.0 workflow:
    prints {"id": ..., "slug": ...}. Or Agent, McpServer, Skill and Environment
    documents, applied in file order: one {"kind", "id", "slug"} line each.
    """
    agent_resources = load_agent_resources(resolve_path(path))
    if agent_resources is not None:
        for line in asyncio.run(apply_agent_resources(server, agent_resources)):
            print(line)
        return EXIT_OK
    workflow_id, slug = asyncio.run(apply_file(server, resolve_path(path)))
    print(json.dumps({"id": workflow_id, "slug": slug}))
    return EXIT_OK


@click.command("run")
@click.argument("workflow", metavar="WORKFLOW")
@input_option
@click.option("--follow", "wait", is_flag=True, help="show progress until it ends")
@server_option
def run_command(workflow: str, input_text: str, wait: bool, server: str) -> int:
    """Start an execution of WORKFLOW (a slug or wfl-... id).

    Prints the execution id. With --follow: a live task tree on a terminal
    (plain lines when piped) on stderr, then the output JSON on stdout;
    exit 0 completed, 1 failed or cancelled.
    """
    return asyncio.run(run_workflow(server, workflow, parse_input(input_text), wait=wait))


COMMANDS = [apply_command, run_command]
