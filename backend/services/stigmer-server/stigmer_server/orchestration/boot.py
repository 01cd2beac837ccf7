"""``connect``: the hook through which stigmer-server installs its Temporal orchestration.

The server calls it once, after it started serving queries. It returns at once
a :class:`ReconnectingOrchestration` that connects to Temporal in the
background (so a slow or absent Temporal never delays reads), installs the
orchestration workers once connected, and reconciles: every PENDING execution
without an orchestration workflow is started, or FAILED after the start
deadline. Payloads are sealed by the shared payload codec: the runners of the
deployment must use the same keyring (``STIGMER_PAYLOAD_KEYS`` or key file).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from google.protobuf.message import Message
from stigmer.agentexecution.v1 import api_pb2 as agent_api
from stigmer.workflowexecution.v1 import api_pb2 as workflow_api
from stigmer_common.payload_codec import encrypted_data_converter, load_keyring
from temporalio.client import Client

from stigmer_server import kinds
from stigmer_server.execution.reconciliation import ReconciledKind, Reconciler
from stigmer_server.execution.starter import ExecutionStarter
from stigmer_server.orchestration.reconnecting import ReconnectingOrchestration
from stigmer_server.orchestration.runtime import Orchestration
from stigmer_server.orchestration.settings import OrchestrationSettings
from stigmer_server.orchestration.updater_status_writer import UpdaterStatusWriter
from stigmer_server.startup_heap import freeze_late_imports

if TYPE_CHECKING:  # the server imports this module at run time; avoid the cycle
    from stigmer_server.server import ServerServices


async def connect(services: ServerServices) -> ReconnectingOrchestration:
    """Start connecting to Temporal and reconciling in the background."""
    settings = OrchestrationSettings.from_config(services.config.temporal)
    writer = UpdaterStatusWriter(
        workflow_executions=services.workflow_status,
        agent_executions=services.agent_status,
    )

    def install(connected: Client) -> Orchestration:
        # Same connection, sealed payloads. The keyring is read only now, when it
        # will be used (it may generate a key file on a first local run).
        sealed = connected.config()
        sealed["data_converter"] = encrypted_data_converter(load_keyring())
        return Orchestration(Client(**sealed), settings.queues, writer, services.deps.grants)

    def reconciler(starter: ExecutionStarter) -> Reconciler:
        async def start_workflow(execution: Message) -> bool:
            assert isinstance(execution, workflow_api.WorkflowExecution)
            return await starter.start_workflow_execution(execution)

        async def start_agent(execution: Message) -> bool:
            assert isinstance(execution, agent_api.AgentExecution)
            return await starter.start_agent_execution(execution)

        return Reconciler(
            services.deps.repository,
            [
                ReconciledKind(
                    kinds.WORKFLOW_EXECUTION,
                    start_workflow,
                    services.workflow_status,
                    workflow_api.WorkflowExecutionStatus,
                ),
                ReconciledKind(
                    kinds.AGENT_EXECUTION,
                    start_agent,
                    services.agent_status,
                    agent_api.AgentExecutionStatus,
                ),
            ],
            start_deadline=settings.start_deadline,
            interval=settings.reconcile_interval,
        )

    orchestration = ReconnectingOrchestration(
        settings, install, reconciler, on_connected=freeze_late_imports
    )
    orchestration.start()
    return orchestration
