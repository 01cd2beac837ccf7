"""The CLI's calls to stigmer-server: apply a workflow, start, follow and control an execution."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal, TextIO

import grpc
from google.protobuf import json_format, struct_pb2
from stigmer.commons.v1 import io_pb2, kind_pb2, metadata_pb2, phase_pb2
from stigmer.workflow.v1 import api_pb2 as workflow_api
from stigmer.workflow.v1 import command_pb2_grpc as workflow_command
from stigmer.workflow.v1 import query_pb2_grpc as workflow_query
from stigmer.workflowexecution.v1 import api_pb2 as execution_api
from stigmer.workflowexecution.v1 import command_pb2_grpc as execution_command
from stigmer.workflowexecution.v1 import io_pb2 as execution_io
from stigmer.workflowexecution.v1 import query_pb2_grpc as execution_query
from stigmer_common.json_values import from_struct

from stigmer_cli.connection import TlsSettings, open_channel, tls_from_env
from stigmer_cli.errors import UsageError

TERMINAL = (phase_pb2.COMPLETED, phase_pb2.FAILED, phase_pb2.CANCELLED)


#: Apply runs the engine's definition checks, which compile every jq expression:
#: ~2 s for a 5,000-task workflow on an idle machine, ~10 s on busy shared cores.
APPLY_TIMEOUT = 60


def rpc_problem(error: grpc.aio.AioRpcError, what: str) -> UsageError:
    """One readable line for a failed call (the server's message names the field)."""
    if error.code() == grpc.StatusCode.UNAVAILABLE:
        return UsageError(f"{what}: stigmer-server is not reachable ({error.details()})")
    return UsageError(f"{what}: {error.code().name}: {error.details()}")


class StigmerClient:
    """One channel to stigmer-server; use as ``async with``."""

    def __init__(
        self, address: str, api_key: str = "", *, tls: TlsSettings | Literal["env"] | None = "env"
    ) -> None:
        # TLS from STIGMER_USE_TLS / STIGMER_CA_FILE unless the caller decides.
        self._channel = open_channel(address, tls_from_env() if tls == "env" else tls)
        self._metadata = (("authorization", f"Bearer {api_key}"),) if api_key else ()
        self._workflow_commands = workflow_command.WorkflowCommandControllerStub(self._channel)
        self._workflows = workflow_query.WorkflowQueryControllerStub(self._channel)
        self._execution_commands = execution_command.WorkflowExecutionCommandControllerStub(
            self._channel
        )
        self._executions = execution_query.WorkflowExecutionQueryControllerStub(self._channel)

    async def __aenter__(self) -> StigmerClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._channel.close()

    async def apply_workflow(self, workflow: workflow_api.Workflow) -> workflow_api.Workflow:
        try:
            reply: workflow_api.Workflow = await self._workflow_commands.Apply(
                workflow, metadata=self._metadata, timeout=APPLY_TIMEOUT
            )
        except grpc.aio.AioRpcError as error:
            raise rpc_problem(error, "apply") from None
        return reply

    async def find_workflow(self, slug_or_id: str) -> workflow_api.Workflow:
        try:
            if slug_or_id.startswith("wfl-"):
                found: workflow_api.Workflow = await self._workflows.Get(
                    io_pb2.ApiResourceId(value=slug_or_id), metadata=self._metadata, timeout=15
                )
            else:
                found = await self._workflows.GetByReference(
                    metadata_pb2.ApiResourceReference(slug=slug_or_id, kind=kind_pb2.WORKFLOW),
                    metadata=self._metadata,
                    timeout=15,
                )
        except grpc.aio.AioRpcError as error:
            raise rpc_problem(error, f"workflow {slug_or_id!r}") from None
        return found

    async def start_execution(
        self, workflow: workflow_api.Workflow, workflow_input: dict[str, Any]
    ) -> execution_api.WorkflowExecution:
        execution = execution_api.WorkflowExecution(
            api_version="stigmer.ai/v1", kind="WorkflowExecution"
        )
        # Execution slugs are unique per org: one name per run (slugs are at most 63 chars).
        base = (workflow.metadata.slug or workflow.metadata.name)[:50]
        execution.metadata.name = f"{base}-{uuid.uuid4().hex[:10]}"
        execution.spec.workflow_id = workflow.metadata.id
        input_struct = struct_pb2.Struct()
        input_struct.update(workflow_input)
        execution.spec.input.CopyFrom(input_struct)
        try:
            created: execution_api.WorkflowExecution = await self._execution_commands.Create(
                execution, metadata=self._metadata, timeout=15
            )
        except grpc.aio.AioRpcError as error:
            raise rpc_problem(error, "run") from None
        return created

    async def control_execution(
        self, verb: str, execution_id: str, reason: str = ""
    ) -> execution_api.WorkflowExecution:
        """Cancel, Pause or Resume (``verb``) one execution; raises ``UsageError`` on refusal."""
        rpc = {
            "cancel": self._execution_commands.Cancel,
            "pause": self._execution_commands.Pause,
            "resume": self._execution_commands.Resume,
        }[verb]
        try:
            reply: execution_api.WorkflowExecution = await rpc(
                execution_io.WorkflowExecutionControlInput(
                    execution_id=execution_id, reason=reason
                ),
                metadata=self._metadata,
                timeout=15,
            )
        except grpc.aio.AioRpcError as error:
            raise rpc_problem(error, f"{verb} {execution_id}") from None
        return reply

    async def subscribe(self, execution_id: str) -> AsyncIterator[execution_api.WorkflowExecution]:
        call = self._executions.Subscribe(
            io_pb2.ApiResourceId(value=execution_id), metadata=self._metadata
        )
        try:
            async for update in call:
                yield update
        except grpc.aio.AioRpcError as error:
            raise rpc_problem(error, f"follow {execution_id}") from None


def phase_name(phase: int) -> str:
    return phase_pb2.ExecutionPhase.Name(phase)  # type: ignore[arg-type]


async def follow(
    client: StigmerClient, execution_id: str, *, progress: TextIO = sys.stderr
) -> execution_api.WorkflowExecution:
    """Stream the execution until a terminal phase, writing one line per change seen.

    Lines: ``phase PENDING``, ``task greet (set) IN_PROGRESS``, ``task greet (set) COMPLETED``,
    ``paused`` / ``resumed``... and ``stuck: ...`` while the engine cannot make progress
    (``moving again`` after).
    """
    last_phase = -1
    paused = False
    last_problem = ""
    seen: dict[str, int] = {}
    latest = execution_api.WorkflowExecution()
    async for update in client.subscribe(execution_id):
        latest = update
        status = update.status
        if status.phase != last_phase and status.phase not in TERMINAL:
            print(f"phase {phase_name(status.phase)}", file=progress, flush=True)
            last_phase = status.phase
        if status.paused != paused and status.phase not in TERMINAL:
            paused = status.paused
            print("paused" if paused else "resumed", file=progress, flush=True)
        for task in status.tasks:
            if seen.get(task.task_id) != task.status:
                seen[task.task_id] = task.status
                print(
                    f"task {task.name} ({task.type}) {phase_name(task.status)}",
                    file=progress,
                    flush=True,
                )
        problem = status.engine_problem.message
        if problem != last_problem:
            line = f"stuck: {problem}" if problem else "moving again"
            print(line, file=progress, flush=True)
            last_problem = problem
        if status.phase in TERMINAL:
            print(f"phase {phase_name(status.phase)}", file=progress, flush=True)
            return latest
    raise UsageError(
        f"follow {execution_id}: the stream ended while the execution was "
        f"{phase_name(latest.status.phase)} (server stopped?); it keeps running"
    )


def result_json(execution: execution_api.WorkflowExecution) -> str:
    """The execution's output (COMPLETED) or its error (otherwise), as indented JSON."""
    status = execution.status
    if status.phase == phase_pb2.COMPLETED:
        value = from_struct(status.output) if status.HasField("output") else None
        return json.dumps(value, indent=2, sort_keys=True)
    error = json_format.MessageToDict(status.error, preserving_proto_field_name=True)
    return json.dumps({"phase": phase_name(status.phase), "error": error}, indent=2, sort_keys=True)
