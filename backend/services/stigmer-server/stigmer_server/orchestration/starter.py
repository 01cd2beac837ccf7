"""``TemporalExecutionStarter``: start the orchestration workflow of a new execution.

The create pipelines persist an execution PENDING and then call this starter;
if it raises, the pipeline marks the execution FAILED and the RPC fails. Ids,
workflow types, queues and timeouts all come from the generated contracts; the
only thing added here is the memo telling the workflow which runner queue this
deployment uses.
"""

from __future__ import annotations

from stigmer.agentexecution.v1 import api_pb2 as agent_api
from stigmer.agentexecution.v1 import contract_pb2 as agent_contract_pb2
from stigmer.agentexecution.v1.contract_temporal import INVOKE_AGENT_EXECUTION
from stigmer.workflowexecution.v1 import api_pb2 as workflow_api
from stigmer.workflowexecution.v1 import contract_pb2 as workflow_contract_pb2
from stigmer.workflowexecution.v1.contract_temporal import INVOKE_WORKFLOW_EXECUTION
from temporalio.client import Client

from stigmer_server.orchestration.memo import runner_queue_memo
from stigmer_server.orchestration.settings import OrchestrationQueues


class TemporalExecutionStarter:
    """Starts ``stigmer/{workflow,agent}-execution/invoke/{id}`` on the server's queues.

    Args:
        client: A connected Temporal client.
        queues: The queues resolved at boot (the server's own and the runners').
    """

    def __init__(self, client: Client, queues: OrchestrationQueues) -> None:
        self._client = client
        self._queues = queues

    async def start_workflow_execution(self, execution: workflow_api.WorkflowExecution) -> None:
        """Start the orchestration of ``execution``; raises if Temporal refuses.

        The workflow id is the contract's template over the execution id, so a
        second start of the same execution fails instead of running it twice.
        """
        await INVOKE_WORKFLOW_EXECUTION.start(
            self._client,
            workflow_contract_pb2.InvokeWorkflowExecutionInput(execution=execution),
            task_queue=self._queues.workflow_stigmer,
            memo=runner_queue_memo(self._queues.workflow_runner),
        )

    async def start_agent_execution(self, execution: agent_api.AgentExecution) -> None:
        """Start the orchestration of ``execution``; raises if Temporal refuses."""
        await INVOKE_AGENT_EXECUTION.start(
            self._client,
            agent_contract_pb2.InvokeAgentExecutionInput(execution=execution),
            task_queue=self._queues.agent_stigmer,
            memo=runner_queue_memo(self._queues.agent_runner),
        )
