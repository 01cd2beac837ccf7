"""``stigmer describe EXECUTION`` (its task table) and ``stigmer watch EXECUTION`` (attach)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import click
from rich.console import Group
from rich.table import Table
from rich.text import Text
from stigmer.workflowexecution.v1 import api_pb2 as execution_api

from stigmer_cli.api import StigmerClient, result_json
from stigmer_cli.console import stdout_console
from stigmer_cli.errors import UsageError
from stigmer_cli.options import api_key, output_option, server_option
from stigmer_cli.output import as_dict, print_data
from stigmer_cli.phases import phase_name, phase_style
from stigmer_cli.task_tree import (
    execution_elapsed,
    format_duration,
    seconds,
    task_duration,
    task_rows,
)
from stigmer_cli.verbs.workflows import exit_code_of, follow_to_end


def _execution_id(execution: str) -> str:
    if not execution.strip():
        raise UsageError("EXECUTION must be an execution id (wex-...)")
    return execution.strip()


def _clock(timestamp: object, *, date: bool = False) -> str:
    when = seconds(timestamp)  # type: ignore[arg-type]
    if when is None:
        return "-"
    shown = datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    return shown if date else shown[11:]


def _error_text(error: object) -> str:
    """``message (code)``: the message is what people read first."""
    message = str(getattr(error, "message", ""))
    code = str(getattr(error, "code", ""))
    return f"{message} ({code})" if code else message


def describe_view(execution: execution_api.WorkflowExecution) -> Group:
    """The execution's summary and one row per task entry (nested tasks indented)."""
    status = execution.status
    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="bold")
    summary.add_column()
    phase = Text(phase_name(status.phase), style=phase_style(status.phase))
    if status.paused:
        phase.append(" (paused)", style="yellow")
    summary.add_row("Execution", execution.metadata.id)
    summary.add_row("Workflow", status.workflow_id or execution.spec.workflow_id or "-")
    summary.add_row("Phase", phase)
    summary.add_row("Started (UTC)", _clock(status.started_at, date=True))
    summary.add_row("Elapsed", format_duration(execution_elapsed(execution)))
    if status.error.message or status.error.code:
        summary.add_row("Error", Text(_error_text(status.error), "red"))
    if status.engine_problem.message:
        summary.add_row("Stuck", Text(status.engine_problem.message, "red"))
    tasks = Table(header_style="bold", box=None, pad_edge=False)
    for column in ("TASK", "TYPE", "PHASE", "STARTED (UTC)", "DURATION", "ERROR"):
        if column == "ERROR":
            tasks.add_column(column, overflow="fold")
        else:
            tasks.add_column(column, no_wrap=True)
    for row in task_rows(list(status.tasks)):
        task = row.task
        error = _error_text(task.error) if task.error.message else ""
        tasks.add_row(
            "  " * row.depth + task.name,
            task.type,
            Text(phase_name(task.status), style=phase_style(task.status)),
            _clock(task.started_at),
            format_duration(task_duration(task)),
            Text(error, style="red"),
        )
    return Group(summary, Text(""), tasks)


async def _get_execution(server: str, execution_id: str) -> execution_api.WorkflowExecution:
    async with StigmerClient(server, api_key()) as client:
        return await client.get_execution(execution_id)


@click.command("describe")
@click.argument("execution", metavar="EXECUTION")
@output_option
@server_option
def describe_command(execution: str, output: str, server: str) -> int:
    """Show an execution: phase, error and its task table (phase, durations, errors)."""
    found = asyncio.run(_get_execution(server, _execution_id(execution)))
    if output == "table":
        stdout_console().print(describe_view(found))
    else:
        print_data(as_dict(found), output)
    return 0


async def _watch(server: str, execution_id: str) -> int:
    async with StigmerClient(server, api_key()) as client:
        final = await follow_to_end(client, execution_id)
    print(result_json(final), flush=True)
    return exit_code_of(final)


def _watch_command(name: str) -> click.Command:
    @click.command(name)
    @click.argument("execution", metavar="EXECUTION")
    @server_option
    def command(execution: str, server: str) -> int:
        """Attach to an execution until it ends (as run --follow).

        A live task tree on a terminal (plain lines when piped) on stderr, then
        the output JSON on stdout; exit 0 completed, 1 failed or cancelled.
        An execution that already ended shows its end at once.
        """
        return asyncio.run(_watch(server, _execution_id(execution)))

    return command


COMMANDS = [describe_command, _watch_command("watch"), _watch_command("logs")]
