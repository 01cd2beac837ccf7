"""The runner's gRPC client of stigmer-server: reads resources, reports status.

Runners own no database; everything they know about an execution comes from
here, and every progress report goes back through ``UpdateStatus``.

Every call survives a stigmer-server outage (a restart, a crash and recovery):
an attempt that fails with UNAVAILABLE (which is also how gRPC reports a refused
or dropped connection) or DEADLINE_EXCEEDED is retried with exponential backoff
until ``retry_budget`` (two minutes by default) has passed since the call
began; then the last error is raised. Answers such as NOT_FOUND or
INVALID_ARGUMENT are final at once. Retrying is safe: the reads have no effect
and ``UpdateStatus`` merges (a report applied twice changes nothing more). The
channel itself reconnects quickly (at most a second between attempts) so a
server that is back is used as soon as it answers (each attempt waits for
the channel to be ready, up to its deadline). Inside a regular activity,
each retry heartbeats, so a long outage is not mistaken for a lost worker.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message
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
from stigmer_common.secret_redaction import process_redactor
from stigmer_observability import client_metrics_interceptors
from temporalio import activity

from workflow_runner.bridge.settings import RunnerSettings

_log = logging.getLogger(__name__)

#: One attempt's deadline (the retry budget bounds the whole call).
RPC_TIMEOUT_SECONDS = 10.0
#: How long one call keeps retrying through an outage before it fails.
DEFAULT_RETRY_BUDGET = timedelta(minutes=2)
#: Transient answers: the server is down, restarting or overloaded.
RETRYABLE_CODES = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})
_FIRST_BACKOFF_SECONDS = 0.2
_MAX_BACKOFF_SECONDS = 2.0
# gRPC's own reconnect backoff grows to two minutes by default: a channel whose
# server was gone for a while would then miss its return by that much.
_CHANNEL_OPTIONS = (
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.min_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 1000),
)

ReplyT = TypeVar("ReplyT", bound=Message)


class StigmerApi:
    """Typed calls to stigmer-server over one (async) channel; ``close()`` it after use.

    Args:
        settings: Where stigmer-server is and how to authenticate.
        retry_budget: How long one call retries transient failures.
    """

    def __init__(
        self, settings: RunnerSettings, *, retry_budget: timedelta = DEFAULT_RETRY_BUDGET
    ) -> None:
        if settings.stigmer_use_tls:
            roots = None
            if settings.stigmer_ca_file:
                with open(settings.stigmer_ca_file, "rb") as ca:
                    roots = ca.read()
            self._channel = grpc.aio.secure_channel(
                settings.stigmer_endpoint,
                grpc.ssl_channel_credentials(root_certificates=roots),
                options=_CHANNEL_OPTIONS,
                interceptors=client_metrics_interceptors(),
            )
        else:
            self._channel = grpc.aio.insecure_channel(
                settings.stigmer_endpoint,
                options=_CHANNEL_OPTIONS,
                interceptors=client_metrics_interceptors(),
            )
        self._endpoint = settings.stigmer_endpoint
        self._budget = retry_budget.total_seconds()
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
        self._secrets = execution_secrets_grpc.WorkflowExecutionSecretControllerStub(self._channel)
        self._agents = agent_query.AgentQueryControllerStub(self._channel)
        self._agent_executions = agent_execution_query.AgentExecutionQueryControllerStub(
            self._channel
        )
        self._agent_execution_commands = (
            agent_execution_command.AgentExecutionCommandControllerStub(self._channel)
        )

    async def close(self) -> None:
        await self._channel.close()

    async def get_execution(self, execution_id: str) -> execution_api.WorkflowExecution:
        return await self._call(
            "WorkflowExecution.Get",
            self._executions.Get,
            commons_io.ApiResourceId(value=execution_id),
            execution_api.WorkflowExecution,
        )

    async def get_instance(self, instance_id: str) -> instance_api.WorkflowInstance:
        return await self._call(
            "WorkflowInstance.Get",
            self._instances.Get,
            commons_io.ApiResourceId(value=instance_id),
            instance_api.WorkflowInstance,
        )

    async def get_workflow(self, workflow_id: str) -> workflow_api.Workflow:
        return await self._call(
            "Workflow.Get",
            self._workflows.Get,
            commons_io.ApiResourceId(value=workflow_id),
            workflow_api.Workflow,
        )

    async def list_workflows(self, page_token: str = "", org: str = "") -> workflow_io.WorkflowList:
        """One page of Workflows (of ``org``; empty: every org the key sees)."""
        return await self._call(
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
        reply = await self._call(
            "WorkflowExecution.ResolveSecrets",
            self._secrets.ResolveSecrets,
            request,
            execution_secrets.ResolvedSecrets,
        )
        return dict(reply.values)

    async def find_agent(self, slug_or_id: str, org: str = "") -> agent_api.Agent:
        if slug_or_id.startswith("agt-"):
            return await self._call(
                "Agent.Get",
                self._agents.Get,
                commons_io.ApiResourceId(value=slug_or_id),
                agent_api.Agent,
            )
        return await self._call(
            "Agent.GetByReference",
            self._agents.GetByReference,
            metadata_pb2.ApiResourceReference(org=org, slug=slug_or_id, kind=kind_pb2.AGENT),
            agent_api.Agent,
        )

    async def create_agent_execution(
        self, execution: agent_execution_api.AgentExecution
    ) -> agent_execution_api.AgentExecution:
        return await self._call(
            "AgentExecution.Create",
            self._agent_execution_commands.Create,
            execution,
            agent_execution_api.AgentExecution,
        )

    async def get_agent_execution_by_slug(
        self, slug: str, org: str = ""
    ) -> agent_execution_api.AgentExecution:
        return await self._call(
            "AgentExecution.GetByReference",
            self._agent_executions.GetByReference,
            metadata_pb2.ApiResourceReference(org=org, slug=slug, kind=kind_pb2.AGENT_EXECUTION),
            agent_execution_api.AgentExecution,
        )

    async def update_status(
        self, report: execution_io.WorkflowExecutionUpdateStatusInput
    ) -> execution_api.WorkflowExecution:
        # The server scrubs too; this keeps what leaves the runner clean as well.
        return await self._call(
            "WorkflowExecution.UpdateStatus",
            self._execution_commands.UpdateStatus,
            process_redactor().scrubbed(report),
            execution_api.WorkflowExecution,
        )

    async def _call(
        self,
        name: str,
        rpc: Callable[..., Awaitable[Any]],
        request: Message,
        reply_type: type[ReplyT],
    ) -> ReplyT:
        """``rpc(request)``, retried on transient failures within the budget."""
        deadline = time.monotonic() + self._budget
        backoff = _FIRST_BACKOFF_SECONDS
        attempt = 1
        while True:
            remaining = deadline - time.monotonic()
            try:
                reply = await rpc(
                    request,
                    metadata=self._metadata,
                    timeout=max(0.1, min(RPC_TIMEOUT_SECONDS, remaining)),
                    # Wait for the channel to (re)connect within the attempt instead
                    # of failing fast: a server that is back is used at once.
                    wait_for_ready=True,
                )
            except grpc.aio.AioRpcError as error:
                delay = backoff * random.uniform(
                    0.8, 1.2
                )  # jitter: restarts are not met in lockstep
                if error.code() not in RETRYABLE_CODES or time.monotonic() + delay >= deadline:
                    if attempt > 1:
                        _log.warning(
                            "%s on %s failed after %d attempts in %.0fs: %s",
                            name,
                            self._endpoint,
                            attempt,
                            self._budget - (deadline - time.monotonic()),
                            error.code().name,
                        )
                    raise
                if attempt == 1:
                    _log.warning(
                        "%s on %s: %s (%s); retrying for up to %.0fs",
                        name,
                        self._endpoint,
                        error.code().name,
                        error.details(),
                        self._budget,
                    )
                _heartbeat()
                await asyncio.sleep(delay)
                backoff = min(backoff * 2, _MAX_BACKOFF_SECONDS)
                attempt += 1
                continue
            if attempt > 1:
                _log.info("%s on %s succeeded at attempt %d", name, self._endpoint, attempt)
            assert isinstance(reply, reply_type)
            return reply


def _heartbeat() -> None:
    # A retried read inside ExecuteWorkflow must not look like a dead worker.
    if activity.in_activity() and not activity.info().is_local:
        activity.heartbeat()
