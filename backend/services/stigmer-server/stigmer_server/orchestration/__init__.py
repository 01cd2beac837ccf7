"""Temporal orchestration of executions inside stigmer-server.

``start_orchestration`` connects at boot (or returns None after one warning),
runs the two ``*_stigmer`` workers and exposes a ``TemporalExecutionStarter``
for the create pipelines. Every Temporal name comes from the generated
contracts in ``stigmer.{workflow,agent}execution.v1.contract_temporal``.
"""

from stigmer_server.orchestration.agent_execution import InvokeAgentExecutionWorkflow
from stigmer_server.orchestration.connection import connect_at_boot
from stigmer_server.orchestration.memo import RUNNER_QUEUE_MEMO_KEY
from stigmer_server.orchestration.runtime import Orchestration, start_orchestration
from stigmer_server.orchestration.settings import OrchestrationQueues, OrchestrationSettings
from stigmer_server.orchestration.starter import TemporalExecutionStarter
from stigmer_server.orchestration.status_activities import StatusActivities
from stigmer_server.orchestration.status_writer import ExecutionStatusWriter
from stigmer_server.orchestration.workflow_execution import InvokeWorkflowExecutionWorkflow

__all__ = [
    "RUNNER_QUEUE_MEMO_KEY",
    "ExecutionStatusWriter",
    "InvokeAgentExecutionWorkflow",
    "InvokeWorkflowExecutionWorkflow",
    "Orchestration",
    "OrchestrationQueues",
    "OrchestrationSettings",
    "StatusActivities",
    "TemporalExecutionStarter",
    "connect_at_boot",
    "start_orchestration",
]
