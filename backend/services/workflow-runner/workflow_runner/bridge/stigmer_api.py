"""The runner's gRPC client of stigmer-server: reads resources, reports status.

Runners own no database; everything they know about an execution comes from
here, and every progress report goes back through ``UpdateStatus``.
"""

from __future__ import annotations

import grpc
from stigmer.commons.v1 import io_pb2 as commons_io
from stigmer.workflow.v1 import api_pb2 as workflow_api
from stigmer.workflow.v1 import query_pb2_grpc as workflow_query
from stigmer.workflowexecution.v1 import api_pb2 as execution_api
from stigmer.workflowexecution.v1 import command_pb2_grpc as execution_command
from stigmer.workflowexecution.v1 import io_pb2 as execution_io
from stigmer.workflowexecution.v1 import query_pb2_grpc as execution_query
from stigmer.workflowinstance.v1 import api_pb2 as instance_api
from stigmer.workflowinstance.v1 import query_pb2_grpc as instance_query

from workflow_runner.bridge.settings import RunnerSettings

RPC_TIMEOUT_SECONDS = 10.0


class StigmerApi:
    """Typed calls to stigmer-server over one (async) channel; ``close()`` it after use."""

    def __init__(self, settings: RunnerSettings) -> None:
        if settings.stigmer_use_tls:
            self._channel = grpc.aio.secure_channel(
                settings.stigmer_endpoint, grpc.ssl_channel_credentials()
            )
        else:
            self._channel = grpc.aio.insecure_channel(settings.stigmer_endpoint)
        self._metadata: tuple[tuple[str, str], ...] = (
            (("authorization", f"Bearer {settings.stigmer_api_key}"),)
            if settings.stigmer_api_key
            else ()
        )
        self._executions = execution_query.WorkflowExecutionQueryControllerStub(self._channel)
        self._execution_commands = execution_command.WorkflowExecutionCommandControllerStub(
            self._channel
        )
        self._instances = instance_query.WorkflowInstanceQueryControllerStub(self._channel)
        self._workflows = workflow_query.WorkflowQueryControllerStub(self._channel)

    async def close(self) -> None:
        await self._channel.close()

    async def get_execution(self, execution_id: str) -> execution_api.WorkflowExecution:
        reply: execution_api.WorkflowExecution = await self._executions.Get(
            commons_io.ApiResourceId(value=execution_id),
            metadata=self._metadata,
            timeout=RPC_TIMEOUT_SECONDS,
        )
        return reply

    async def get_instance(self, instance_id: str) -> instance_api.WorkflowInstance:
        reply: instance_api.WorkflowInstance = await self._instances.Get(
            commons_io.ApiResourceId(value=instance_id),
            metadata=self._metadata,
            timeout=RPC_TIMEOUT_SECONDS,
        )
        return reply

    async def get_workflow(self, workflow_id: str) -> workflow_api.Workflow:
        reply: workflow_api.Workflow = await self._workflows.Get(
            commons_io.ApiResourceId(value=workflow_id),
            metadata=self._metadata,
            timeout=RPC_TIMEOUT_SECONDS,
        )
        return reply

    async def update_status(
        self, report: execution_io.WorkflowExecutionUpdateStatusInput
    ) -> execution_api.WorkflowExecution:
        reply: execution_api.WorkflowExecution = await self._execution_commands.UpdateStatus(
            report, metadata=self._metadata, timeout=RPC_TIMEOUT_SECONDS
        )
        return reply
