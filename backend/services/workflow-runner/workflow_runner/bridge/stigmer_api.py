"""The runner's gRPC client of stigmer-server: reads resources, reports status.

Runners own no database; everything they know about an execution comes from
here, and every progress report goes back through ``UpdateStatus``.

Every call survives a stigmer-server outage (a restart, a crash and recovery;
see :mod:`stigmer_client.retrying`): UNAVAILABLE and DEADLINE_EXCEEDED are
retried with backoff until ``retry_budget`` (two minutes by default) has passed
since the call began; other answers such as NOT_FOUND or INVALID_ARGUMENT are
final at once. Retrying is safe: the reads have no effect and ``UpdateStatus``
merges (a report applied twice changes nothing more).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from stigmer.agent.v1 import api_pb2 as agent_api
from stigmer.agent.v1 import query_pb2_grpc as agent_query
from stigmer.agentexecution.v1 import api_pb2 as agent_execution_api
from stigmer.agentexecution.v1 import command_pb2_grpc as agent_execution_command
from stigmer.agentexecution.v1 import query_pb2_grpc as agent_execution_query
from stigmer.commons.v1 import io_pb2 as commons_io
from stigmer.commons.v1 import kind_pb2, metadata_pb2
from stigmer.commons.v1.secret_pb2 import ExecutionGrant
from stigmer.workflow.v1 import api_pb2 as workflow_api
from stigmer.workflow.v1 import io_pb2 as workflow_io
from stigmer.workflow.v1 import query_pb2_grpc as workflow_query
from stigmer.workflowexecution.v1 import api_pb2 as execution_api
from stigmer.workflowexecution.v1 import command_pb2_grpc as execution_command
from stigmer.workflowexecution.v1 import io_pb2 as execution_io
from stigmer.workflowexecution.v1 import query_pb2_grpc as execution_query
from stigmer.workflowexecution.v1 import secrets_pb2 as execution_secrets
from stigmer.workflowexecution.v1 import secrets_pb2_grpc as execution_secrets_grpc
from stigmer.workflowinstance.v1 import api_pb2 as instance_api
from stigmer.workflowinstance.v1 import query_pb2_grpc as instance_query
from stigmer_client.retrying import DEFAULT_RETRY_BUDGET, RETRYABLE_CODES, RetryingCalls
from stigmer_common.secret_redaction import process_redactor

from workflow_runner.bridge.settings import RunnerSettings

__all__ = ["DEFAULT_RETRY_BUDGET", "RETRYABLE_CODES", "StigmerApi"]

_log = logging.getLogger(__name__)


class StigmerApi:
    """Typed calls to stigmer-server over one (async) channel; ``close()`` it after use.

    Args:
        settings: Where stigmer-server is and how to authenticate.
        retry_budget: How long one call retries transient failures.
    """

    def __init__(
        self, settings: RunnerSettings, *, retry_budget: timedelta = DEFAULT_RETRY_BUDGET
    ) -> None:
        self._calls = RetryingCalls(settings.server_target(), retry_budget=retry_budget, log=_log)
        channel = self._calls.channel
        self._executions = execution_query.WorkflowExecutionQueryControllerStub(channel)
        self._execution_commands = execution_command.WorkflowExecutionCommandControllerStub(channel)
        self._instances = instance_query.WorkflowInstanceQueryControllerStub(channel)
        self._workflows = workflow_query.WorkflowQueryControllerStub(channel)
        self._secrets = execution_secrets_grpc.WorkflowExecutionSecretControllerStub(channel)
        self._agents = agent_query.AgentQueryControllerStub(channel)
        self._agent_executions = agent_execution_query.AgentExecutionQueryControllerStub(channel)
        self._agent_execution_commands = (
            agent_execution_command.AgentExecutionCommandControllerStub(channel)
        )

    async def close(self) -> None:
        await self._calls.close()

    async def get_execution(self, execution_id: str) -> execution_api.WorkflowExecution:
        return await self._calls.call(
            "WorkflowExecution.Get",
            self._executions.Get,
            commons_io.ApiResourceId(value=execution_id),
            execution_api.WorkflowExecution,
        )

    async def get_instance(self, instance_id: str) -> instance_api.WorkflowInstance:
        return await self._calls.call(
            "WorkflowInstance.Get",
            self._instances.Get,
            commons_io.ApiResourceId(value=instance_id),
            instance_api.WorkflowInstance,
        )

    async def get_workflow(self, workflow_id: str) -> workflow_api.Workflow:
        return await self._calls.call(
            "Workflow.Get",
            self._workflows.Get,
            commons_io.ApiResourceId(value=workflow_id),
            workflow_api.Workflow,
        )

    async def list_workflows(self, page_token: str = "", org: str = "") -> workflow_io.WorkflowList:
        """One page of Workflows (of ``org``; empty: every org the key sees)."""
        return await self._calls.call(
            "Workflow.List",
            self._workflows.List,
            commons_io.ApiResourceListInput(page_size=500, page_token=page_token, org=org),
            workflow_io.WorkflowList,
        )

    async def resolve_secrets(
        self, execution_id: str, names: Sequence[str], grant: ExecutionGrant | None
    ) -> dict[str, str]:
        """The declared secrets of one running execution, in clear (runner-only RPC,
        refused without the execution's grant)."""
        request = execution_secrets.ResolveSecretsInput(
            execution_id=execution_id, names=list(names)
        )
        if grant is not None:
            request.grant.CopyFrom(grant)
        reply = await self._calls.call(
            "WorkflowExecution.ResolveSecrets",
            self._secrets.ResolveSecrets,
            request,
            execution_secrets.ResolvedSecrets,
        )
        return dict(reply.values)

    async def find_agent(self, slug_or_id: str, org: str = "") -> agent_api.Agent:
        if slug_or_id.startswith("agt-"):
            return await self._calls.call(
                "Agent.Get",
                self._agents.Get,
                commons_io.ApiResourceId(value=slug_or_id),
                agent_api.Agent,
            )
        return await self._calls.call(
            "Agent.GetByReference",
            self._agents.GetByReference,
            metadata_pb2.ApiResourceReference(org=org, slug=slug_or_id, kind=kind_pb2.AGENT),
            agent_api.Agent,
        )

    async def create_agent_execution(
        self, execution: agent_execution_api.AgentExecution
    ) -> agent_execution_api.AgentExecution:
        return await self._calls.call(
            "AgentExecution.Create",
            self._agent_execution_commands.Create,
            execution,
            agent_execution_api.AgentExecution,
        )

    async def get_agent_execution_by_slug(
        self, slug: str, org: str = ""
    ) -> agent_execution_api.AgentExecution:
        return await self._calls.call(
            "AgentExecution.GetByReference",
            self._agent_executions.GetByReference,
            metadata_pb2.ApiResourceReference(org=org, slug=slug, kind=kind_pb2.AGENT_EXECUTION),
            agent_execution_api.AgentExecution,
        )

    async def update_status(
        self, report: execution_io.WorkflowExecutionUpdateStatusInput
    ) -> execution_api.WorkflowExecution:
        # The server scrubs too; this keeps what leaves the runner clean as well.
        return await self.store_final_status(process_redactor().scrubbed(report))

    async def store_final_status(
        self, report: execution_io.WorkflowExecutionUpdateStatusInput
    ) -> execution_api.WorkflowExecution:
        # As the run ended: the server scrubs it with the execution's own secrets
        # (see wiring.completion.FinalStatusStore).
        return await self._calls.call(
            "WorkflowExecution.UpdateStatus",
            self._execution_commands.UpdateStatus,
            report,
            execution_api.WorkflowExecution,
        )
