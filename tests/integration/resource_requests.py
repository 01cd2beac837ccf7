"""Valid create requests for the resources the cross-service tests need."""

from __future__ import annotations

import uuid

from stigmer.agent.v1 import api_pb2 as agent_api
from stigmer.agentexecution.v1 import api_pb2 as agentexecution_api
from stigmer.workflow.v1 import api_pb2 as workflow_api
from stigmer.workflowexecution.v1 import api_pb2 as workflowexecution_api


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def workflow() -> workflow_api.Workflow:
    """A one-task workflow (``set``), valid for the server's spec validation."""
    request = workflow_api.Workflow(api_version="stigmer.ai/v1", kind="Workflow")
    request.metadata.name = unique("greeter")
    request.spec.document.dsl = "1.0.0"
    request.spec.document.namespace = "itest"
    request.spec.document.name = unique("greeter")
    request.spec.document.version = "1.0.0"
    task = request.spec.tasks.add(name="greet", kind=workflow_api.SET)
    task.task_config.update({"variables": {"greeting": "hello"}})
    return request


def workflow_execution(workflow_id: str) -> workflowexecution_api.WorkflowExecution:
    """An execution of ``workflow_id`` (the server resolves its default instance)."""
    request = workflowexecution_api.WorkflowExecution(
        api_version="stigmer.ai/v1", kind="WorkflowExecution"
    )
    request.metadata.name = unique("run")
    request.spec.workflow_id = workflow_id
    request.spec.trigger_message = "cross-service test"
    request.spec.input.update({"who": "integration"})
    return request


def agent() -> agent_api.Agent:
    request = agent_api.Agent(api_version="stigmer.ai/v1", kind="Agent")
    request.metadata.name = unique("helper")
    request.spec.instructions = "Answer briefly."
    request.spec.model = "test-model"
    return request


def agent_execution(agent_id: str) -> agentexecution_api.AgentExecution:
    request = agentexecution_api.AgentExecution(api_version="stigmer.ai/v1", kind="AgentExecution")
    request.metadata.name = unique("ask")
    request.spec.agent_id = agent_id
    request.spec.message = "What is six times seven?"
    return request
