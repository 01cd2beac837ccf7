"""The CLI's calls to stigmer-server: apply a workflow, start, follow and control an execution,
get and list resources of any kind."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal, TextIO, TypeVar

import grpc
from google.protobuf import json_format, struct_pb2
from google.protobuf.message import Message
from stigmer.commons.v1 import io_pb2, metadata_pb2, phase_pb2
from stigmer.workflow.v1 import api_pb2 as workflow_api
from stigmer.workflow.v1 import command_pb2_grpc as workflow_command
from stigmer.workflowexecution.v1 import api_pb2 as execution_api
from stigmer.workflowexecution.v1 import command_pb2_grpc as execution_command
from stigmer.workflowexecution.v1 import io_pb2 as execution_io
from stigmer.workflowexecution.v1 import query_pb2_grpc as execution_query
from stigmer_client.channel import Metadata, key_metadata
from stigmer_common.json_values import from_struct

from stigmer_cli.connection import TlsSettings, open_channel, tls_from_env
from stigmer_cli.errors import Unreachable, UsageError
from stigmer_cli.input_limits import check_message_depth
from stigmer_cli.phases import TERMINAL, phase_name
from stigmer_cli.progress import PlainProgress, ProgressView
from stigmer_cli.resource_kinds import ResourceKind, cast_kind, kind_named

__all__ = [
    "TERMINAL",
    "StigmerClient",
    "follow",
    "get_by_id_or_slug",
    "phase_name",
    "result_json",
    "rpc_problem",
    "updates",
]

UpdateT = TypeVar("UpdateT", bound=Message)
#: What ``find_workflow`` looks up (its id prefix and query service).
WORKFLOWS = kind_named("workflows")


#: Apply runs the engine's definition checks, which compile every jq expression:
#: ~2 s for a 5,000-task workflow on an idle machine, ~10 s on busy shared cores.
APPLY_TIMEOUT = 60


def rpc_problem(error: grpc.aio.AioRpcError, what: str) -> UsageError:
    """One readable line for a failed call (the server's message names the field)."""
    if error.code() == grpc.StatusCode.UNAVAILABLE:
        return Unreachable(f"{what}: stigmer-server is not reachable ({error.details()})")
    if error.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
        return Unreachable(f"{what}: stigmer-server did not answer in time ({error.details()})")
    return UsageError(f"{what}: {error.code().name}: {error.details()}")


async def get_by_id_or_slug(
    channel: grpc.aio.Channel, kind: ResourceKind, ref: str, metadata: Metadata, what: str
) -> Any:
    """The resource of ``kind`` that ``ref`` names: by id (``wfl-...``), else by slug.

    Raises:
        UsageError: not found, refused or unreachable (one line starting with ``what``).
    """
    stub = kind.query_stub(channel)
    try:
        if ref.startswith(f"{kind.id_prefix}-"):
            return await stub.Get(io_pb2.ApiResourceId(value=ref), metadata=metadata, timeout=15)
        return await stub.GetByReference(
            metadata_pb2.ApiResourceReference(slug=ref, kind=cast_kind(kind.kind)),
            metadata=metadata,
            timeout=15,
        )
    except grpc.aio.AioRpcError as error:
        raise rpc_problem(error, what) from None


async def updates(call: AsyncIterator[UpdateT], what: str) -> AsyncIterator[UpdateT]:
    """The messages of a ``Subscribe`` stream; a failed stream is one line (``what``)."""
    try:
        async for update in call:
            yield update
    except grpc.aio.AioRpcError as error:
        raise rpc_problem(error, what) from None


class StigmerClient:
    """One channel to stigmer-server; use as ``async with``."""

    def __init__(
        self, address: str, api_key: str = "", *, tls: TlsSettings | Literal["env"] | None = "env"
    ) -> None:
        # TLS from STIGMER_USE_TLS / STIGMER_CA_FILE unless the caller decides.
        self._channel = open_channel(address, tls_from_env() if tls == "env" else tls)
        self._metadata = key_metadata(api_key)
        self._workflow_commands = workflow_command.WorkflowCommandControllerStub(self._channel)
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
        what = f"workflow {slug_or_id!r}"
        found: workflow_api.Workflow = await get_by_id_or_slug(
            self._channel, WORKFLOWS, slug_or_id, self._metadata, what
        )
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
        check_message_depth(execution, "--input")
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

    async def get_resource(self, kind: ResourceKind, ref: str) -> Message:
        """One resource of ``kind`` by id (``wex-...``) or slug."""
        found: Message = await get_by_id_or_slug(
            self._channel, kind, ref, self._metadata, f"{kind.plural} {ref}"
        )
        return found

    async def list_resources(
        self, kind: ResourceKind, *, parent_id: str = "", limit: int = 0
    ) -> list[Message]:
        """Resources of ``kind``, oldest first, page after page (at most ``limit``; 0: all)."""
        stub = kind.query_stub(self._channel)
        items: list[Message] = []
        token = ""
        while True:
            page_size = min(500, limit - len(items)) if limit else 500
            try:
                page = await stub.List(
                    io_pb2.ApiResourceListInput(
                        parent_id=parent_id, page_size=page_size, page_token=token
                    ),
                    metadata=self._metadata,
                    timeout=30,
                )
            except grpc.aio.AioRpcError as error:
                raise rpc_problem(error, f"list {kind.plural}") from None
            items.extend(page.items)
            token = page.next_page_token
            if not token or (limit and len(items) >= limit):
                return items[:limit] if limit else items

    async def get_execution(self, execution_id: str) -> execution_api.WorkflowExecution:
        try:
            found: execution_api.WorkflowExecution = await self._executions.Get(
                io_pb2.ApiResourceId(value=execution_id), metadata=self._metadata, timeout=15
            )
        except grpc.aio.AioRpcError as error:
            raise rpc_problem(error, f"execution {execution_id}") from None
        return found

    def subscribe(self, execution_id: str) -> AsyncIterator[execution_api.WorkflowExecution]:
        call = self._executions.Subscribe(
            io_pb2.ApiResourceId(value=execution_id), metadata=self._metadata
        )
        return updates(call, f"follow {execution_id}")


async def follow(
    client: StigmerClient,
    execution_id: str,
    *,
    progress: TextIO = sys.stderr,
    view: ProgressView | None = None,
) -> execution_api.WorkflowExecution:
    """Stream the execution until a terminal phase, showing each update on ``view``.

    The default view writes one line per change seen to ``progress`` (see
    :class:`stigmer_cli.progress.PlainProgress`); ``stigmer run --follow`` on a
    terminal passes the live view instead.
    """
    shown = view or PlainProgress(progress)
    latest = execution_api.WorkflowExecution()
    async for update in client.subscribe(execution_id):
        latest = update
        shown.update(update)
        if update.status.phase in TERMINAL:
            return latest
    raise Unreachable(
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
