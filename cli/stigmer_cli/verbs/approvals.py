"""``stigmer approve`` / ``reject``: decide agent tool calls WAITING_APPROVAL.

A tool the agent lists in ``approval_required_tools`` stops the execution
before it runs. ``approve EXECUTION [TOOL_CALL...]`` lets the calls run;
``reject`` makes the agent continue without them. Without TOOL_CALL the
decision covers every call of the execution that is waiting; the agent resumes
once every waiting call is decided.
"""

from __future__ import annotations

import asyncio
import os

import click
import grpc
from stigmer.agentexecution.v1 import api_pb2 as execution_api
from stigmer.agentexecution.v1 import command_pb2_grpc, query_pb2_grpc
from stigmer.agentexecution.v1 import io_pb2 as execution_io
from stigmer.commons.v1 import io_pb2
from stigmer_client.channel import key_metadata

from stigmer_cli.api import rpc_problem
from stigmer_cli.connection import open_channel, tls_from_env
from stigmer_cli.errors import EXIT_OK, UsageError
from stigmer_cli.options import server_option

DECISION_VERBS = (
    (
        "approve",
        True,
        "Let an agent's tool calls that wait for approval run.\n\n"
        "TOOL_CALL: the ids to approve (default: every call of EXECUTION that waits).",
    ),
    (
        "reject",
        False,
        "Refuse an agent's tool calls that wait for approval: they never run and the "
        "agent continues without them.\n\n"
        "TOOL_CALL: the ids to reject (default: every call of EXECUTION that waits).",
    ),
)


async def decide(
    address: str,
    verb: str,
    execution_id: str,
    tool_call_ids: list[str],
    *,
    approved: bool,
    reason: str,
) -> int:
    """One line per decided call on stdout: ``TOOL_CALL NAME APPROVED|REJECTED``."""
    metadata = key_metadata(os.environ.get("STIGMER_API_KEY", ""))
    async with open_channel(address, tls_from_env()) as channel:
        try:
            if not tool_call_ids:
                execution = await query_pb2_grpc.AgentExecutionQueryControllerStub(channel).Get(
                    io_pb2.ApiResourceId(value=execution_id), metadata=metadata, timeout=15
                )
                tool_call_ids = [
                    call.id
                    for call in execution.status.tool_calls
                    if call.approval == execution_api.WAITING_APPROVAL
                ]
                if not tool_call_ids:
                    raise UsageError(
                        f"{verb}: no tool call of {execution_id} is waiting for approval"
                    )
            request = execution_io.AgentExecutionDecideToolCallsInput(
                execution_id=execution_id,
                decisions=[
                    execution_api.ToolCallDecision(
                        tool_call_id=call_id, approved=approved, reason=reason
                    )
                    for call_id in tool_call_ids
                ],
            )
            updated = await command_pb2_grpc.AgentExecutionCommandControllerStub(
                channel
            ).DecideToolCalls(request, metadata=metadata, timeout=30)
        except grpc.aio.AioRpcError as error:
            raise rpc_problem(error, f"{verb} {execution_id}") from None
    names = {call.id: call for call in updated.status.tool_calls}
    for call_id in tool_call_ids:
        call = names.get(call_id)
        state = execution_api.ApprovalState.Name(call.approval) if call else "?"
        print(f"{call_id} {call.name if call else ''} {state}", flush=True)
    return EXIT_OK


def _decision_command(verb: str, approved: bool, help_text: str) -> click.Command:
    @click.command(verb, help=help_text)
    @click.argument("execution", metavar="EXECUTION")
    @click.argument("tool_calls", metavar="[TOOL_CALL]...", nargs=-1)
    @click.option("--reason", default="", help="why (kept with the tool call; the agent reads it)")
    @server_option
    def command(execution: str, tool_calls: tuple[str, ...], reason: str, server: str) -> int:
        if not execution.strip():
            raise UsageError(f"{verb}: EXECUTION must be an agent execution id (aex-...)")
        ids = [t.strip() for t in tool_calls if t.strip()]
        return asyncio.run(
            decide(server, verb, execution.strip(), ids, approved=approved, reason=reason)
        )

    return command


COMMANDS = [_decision_command(verb, approved, text) for verb, approved, text in DECISION_VERBS]
