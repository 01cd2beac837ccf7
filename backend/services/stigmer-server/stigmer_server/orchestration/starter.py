"""``TemporalExecutionStarter``: start the orchestration workflow of an execution.

The create pipelines persist an execution PENDING and then call this starter;
reconciliation calls it again for every PENDING execution it finds. Starting is
idempotent: the workflow id is the contract's template over the execution id
and the start rejects any reuse of that id, so a second start (a race between
Create and reconciliation, or a start whose answer was lost) finds the first
workflow and returns normally instead of running the execution twice. Ids,
workflow types, queues and timeouts all come from the generated contracts; the
only things added here are the memo telling the workflow which runner queue this
deployment uses, and an execution's grant (the runner's proof, for
ResolveSecrets or ResolveVariables, that this execution was handed to it;
``secrets.execution_grants``).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, TypeVar

from google.protobuf.message import Message
from stigmer.agentexecution.v1 import api_pb2 as agent_api
from stigmer.agentexecution.v1 import contract_pb2 as agent_contract_pb2
from stigmer.agentexecution.v1.contract_temporal import INVOKE_AGENT_EXECUTION
from stigmer.workflowexecution.v1 import api_pb2 as workflow_api
from stigmer.workflowexecution.v1 import contract_pb2 as workflow_contract_pb2
from stigmer.workflowexecution.v1.contract_temporal import INVOKE_WORKFLOW_EXECUTION
from stigmer_observability.metrics import EXECUTIONS_STARTED
from stigmer_temporal import WorkflowContract
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from stigmer_server.orchestration.memo import runner_queue_memo
from stigmer_server.orchestration.settings import OrchestrationQueues
from stigmer_server.secrets.execution_grants import ExecutionGrants

_log = logging.getLogger(__name__)

InputT = TypeVar("InputT", bound=Message)

# A start is on the Create path: bounded, so an unreachable frontend answers the
# client quickly (the execution stays PENDING and reconciliation retries it).
START_RPC_TIMEOUT = timedelta(seconds=5)


class TemporalExecutionStarter:
    """Starts ``stigmer/{workflow,agent}-execution/invoke/{id}`` on the server's queues.

    Args:
        client: A connected Temporal client.
        queues: The queues resolved at boot (the server's own and the runners').
        grants: Issues each execution's grant (ResolveSecrets and
            ResolveVariables refuse a runner without it); None starts executions without one.
    """

    def __init__(
        self,
        client: Client,
        queues: OrchestrationQueues,
        grants: ExecutionGrants | None = None,
    ) -> None:
        self._client = client
        self._queues = queues
        self._grants = grants

    async def start_workflow_execution(self, execution: workflow_api.WorkflowExecution) -> bool:
        """Start the orchestration of ``execution`` once; raises if Temporal refuses.

        Returns:
            True if this call started it, False if it was already started.
        """
        arg = workflow_contract_pb2.InvokeWorkflowExecutionInput(execution=execution)
        if self._grants is not None:
            # In the input, which the payload codec seals: never in clear in history.
            arg.grant.CopyFrom(
                self._grants.issue(
                    execution.metadata.id,
                    execution.metadata.org,
                    # Whether its `call: agent` tasks may name another org.
                    created_by=execution.status.audit.created_by,
                )
            )
        return await self._start_once(
            INVOKE_WORKFLOW_EXECUTION,
            arg,
            self._queues.workflow_stigmer,
            self._queues.workflow_runner,
            kind="workflow",
        )

    async def start_agent_execution(self, execution: agent_api.AgentExecution) -> bool:
        """Start the orchestration of ``execution`` once; raises if Temporal refuses.

        Returns:
            True if this call started it, False if it was already started.
        """
        arg = agent_contract_pb2.InvokeAgentExecutionInput(execution=execution)
        if self._grants is not None:
            # In the input, which the payload codec seals: never in clear in history.
            arg.grant.CopyFrom(self._grants.issue(execution.metadata.id, execution.metadata.org))
        return await self._start_once(
            INVOKE_AGENT_EXECUTION,
            arg,
            self._queues.agent_stigmer,
            self._queues.agent_runner,
            kind="agent",
        )

    async def _start_once(
        self,
        contract: WorkflowContract[InputT, Any],
        arg: InputT,
        queue: str,
        runner_queue: str,
        *,
        kind: str,
    ) -> bool:
        # The id comes from the execution id and REJECT_DUPLICATE keeps it unique:
        # a second start (reconciliation, a retried Create) is a no-op.
        try:
            await contract.start(
                self._client,
                arg,
                task_queue=queue,
                memo=runner_queue_memo(runner_queue),
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                rpc_timeout=START_RPC_TIMEOUT,
            )
        except WorkflowAlreadyStartedError:
            _log.debug("orchestration already started: %s", contract.workflow_id(arg))
            return False
        EXECUTIONS_STARTED.labels(kind=kind).inc()
        return True
