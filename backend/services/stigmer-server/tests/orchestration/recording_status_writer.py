"""The server's real status merge over an in-memory map (a store stand-in for these tests)."""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp
from stigmer.agentexecution.v1 import api_pb2 as agent_api
from stigmer.agentexecution.v1 import io_pb2 as agent_io
from stigmer.workflowexecution.v1 import api_pb2 as workflow_api
from stigmer.workflowexecution.v1 import io_pb2 as workflow_io
from stigmer_server.errors import NotFound
from stigmer_server.execution.status_merge import (
    merge_agent_execution_status,
    merge_workflow_execution_status,
)


class RecordingStatusWriter:
    """The server's real status merge over an in-memory map, recording every report.

    Stands in for the RocksDB-backed store so these tests isolate the workflows;
    the cross-service tests in tests/integration run the real server.
    """

    def __init__(self) -> None:
        self.workflow_executions: dict[str, workflow_api.WorkflowExecution] = {}
        self.agent_executions: dict[str, agent_api.AgentExecution] = {}
        self.reports: list[
            workflow_io.WorkflowExecutionUpdateStatusInput
            | agent_io.AgentExecutionUpdateStatusInput
        ] = []

    async def update_workflow_execution_status(
        self, request: workflow_io.WorkflowExecutionUpdateStatusInput
    ) -> workflow_api.WorkflowExecution:
        self.reports.append(request)
        stored = self.workflow_executions.get(request.execution_id)
        if stored is None:
            raise NotFound(f"no WorkflowExecution {request.execution_id!r}", field="execution_id")
        merge_workflow_execution_status(stored.status, request.status, _now())
        return stored

    async def update_agent_execution_status(
        self, request: agent_io.AgentExecutionUpdateStatusInput
    ) -> agent_api.AgentExecution:
        self.reports.append(request)
        stored = self.agent_executions.get(request.execution_id)
        if stored is None:
            raise NotFound(f"no AgentExecution {request.execution_id!r}", field="execution_id")
        merge_agent_execution_status(stored.status, request.status, _now(), lambda: "msg-x")
        return stored


def _now() -> Timestamp:
    stamp = Timestamp()
    stamp.GetCurrentTime()
    return stamp
