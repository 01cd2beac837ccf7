"""The AgentExecution command service: the standard writes, UpdateStatus, and
DecideToolCalls (approve/reject tool calls WAITING_APPROVAL)."""

from __future__ import annotations

import grpc
from google.protobuf.message import Message

from stigmer_server.api.error_mapping import call_mapped, caller_of
from stigmer_server.api.resource_servicers import CommandPipelines, ExecutionCommandServicer
from stigmer_server.auth.identity import require_role
from stigmer_server.dependencies import Dependencies
from stigmer_server.execution.status_updater import ExecutionStatusUpdater
from stigmer_server.execution.tool_call_decisions import ToolCallDecisionCommands
from stigmer_server.kinds import KindDescriptor


class AgentExecutionCommandServicer(ExecutionCommandServicer):
    """Adds DecideToolCalls (agent executions only)."""

    def __init__(
        self,
        kind: KindDescriptor,
        deps: Dependencies,
        pipelines: CommandPipelines,
        updater: ExecutionStatusUpdater,
    ) -> None:
        super().__init__(kind, deps, pipelines, updater)
        self._decisions = ToolCallDecisionCommands(kind, deps)

    async def DecideToolCalls(self, request: Message, context: grpc.aio.ServicerContext) -> Message:
        async def decide() -> Message:
            # A human's gate: the runner that asked for the tool must not pass it.
            require_role(context, "admin", "user")
            return await self._decisions.run(request, caller=caller_of(context))

        return await call_mapped(context, f"{self._kind.kind_name}.DecideToolCalls", decide)
