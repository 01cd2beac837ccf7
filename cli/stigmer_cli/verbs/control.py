"""``stigmer cancel`` / ``pause`` / ``resume``: steer a running execution."""

from __future__ import annotations

import asyncio

import click

from stigmer_cli.api import StigmerClient
from stigmer_cli.errors import EXIT_OK, UsageError
from stigmer_cli.options import api_key, server_option
from stigmer_cli.phases import phase_name

CONTROL_VERBS = (
    (
        "cancel",
        "Stop a running execution.\n\nIt ends CANCELLED, its running task (a wait, an HTTP "
        "call...) is interrupted and its open tasks are marked CANCELLED.",
    ),
    (
        "pause",
        "Hold an execution before its next task.\n\nThe task running now finishes, the next "
        "one waits for `stigmer resume`.",
    ),
    ("resume", "Let a paused execution go on."),
)


async def control_execution(address: str, verb: str, execution_id: str, reason: str) -> int:
    """One line on stdout: the execution id, its phase and whether it is paused."""
    async with StigmerClient(address, api_key()) as client:
        execution = await client.control_execution(verb, execution_id, reason)
    status = execution.status
    paused = " (paused)" if status.paused else ""
    print(f"{execution.metadata.id} {phase_name(status.phase)}{paused}", flush=True)
    return EXIT_OK


def _control_command(verb: str, help_text: str) -> click.Command:
    @click.command(verb, help=help_text)
    @click.argument("execution", metavar="EXECUTION")
    @click.option("--reason", default="", help="why (kept in the execution)")
    @server_option
    def command(execution: str, reason: str, server: str) -> int:
        if not execution.strip():
            raise UsageError(f"{verb}: EXECUTION must be an execution id (wex-...)")
        return asyncio.run(control_execution(server, verb, execution.strip(), reason))

    return command


COMMANDS = [_control_command(verb, help_text) for verb, help_text in CONTROL_VERBS]
