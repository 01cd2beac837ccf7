"""Executions and workflows as the JSON the page reads (times in epoch milliseconds)."""

from __future__ import annotations

from typing import Any

from google.protobuf import timestamp_pb2
from stigmer.agentexecution.v1 import api_pb2 as agent_execution_api
from stigmer.commons.v1 import phase_pb2
from stigmer.workflow.v1 import api_pb2 as workflow_api
from stigmer.workflowexecution.v1 import api_pb2 as execution_api
from stigmer_common.json_values import from_struct
from stigmer_dsl.converter.to_dsl import ConversionError, dump_yaml, spec_to_document

from stigmer_console.graph import workflow_graph

Json = dict[str, Any]


def _millis(stamp: timestamp_pb2.Timestamp, present: bool) -> int | None:
    return stamp.seconds * 1000 + stamp.nanos // 1_000_000 if present else None


def _phase(phase: int) -> str:
    return phase_pb2.ExecutionPhase.Name(phase)  # type: ignore[arg-type]


def _error(error: Any, present: bool) -> Json | None:
    if not present or not (error.code or error.message):
        return None
    return {"code": error.code, "message": error.message, "details": dict(error.details)}


def execution_summary(execution: execution_api.WorkflowExecution, workflow_name: str) -> Json:
    """One row of the executions list."""
    status = execution.status
    created = _millis(status.audit.created_at, status.audit.HasField("created_at"))
    started = _millis(status.started_at, status.HasField("started_at"))
    completed = _millis(status.completed_at, status.HasField("completed_at"))
    return {
        "id": execution.metadata.id,
        "name": execution.metadata.name,
        # Grows with every stored change: the page drops a reply older than what it shows.
        "version": execution.metadata.version,
        "kind": "workflow",
        "workflow_id": execution.spec.workflow_id or status.workflow_id,
        "workflow": workflow_name,
        "phase": _phase(status.phase),
        "paused": status.paused,
        "created_at": created,
        "started_at": started or created,
        "completed_at": completed,
    }


def execution_detail(execution: execution_api.WorkflowExecution, workflow_name: str) -> Json:
    """Everything the live page shows: status, tasks, input, output, problem details."""
    status = execution.status
    detail = execution_summary(execution, workflow_name)
    detail.update(
        input=from_struct(execution.spec.input) if execution.spec.HasField("input") else None,
        output=from_struct(status.output) if status.HasField("output") else None,
        error=_error(status.error, status.HasField("error")),
        engine_problem=_error(status.engine_problem, status.HasField("engine_problem")),
        tasks=[_task(task) for task in status.tasks],
    )
    return detail


def _task(task: execution_api.WorkflowTaskProgress) -> Json:
    return {
        "task_id": task.task_id,
        "name": task.name,
        "type": task.type,
        "phase": _phase(task.status),
        "input": from_struct(task.input) if task.HasField("input") else None,
        "output": from_struct(task.output) if task.HasField("output") else None,
        "error": _error(task.error, task.HasField("error")),
        "started_at": _millis(task.started_at, task.HasField("started_at")),
        "completed_at": _millis(task.completed_at, task.HasField("completed_at")),
    }


def workflow_name(workflow: workflow_api.Workflow) -> str:
    return workflow.metadata.slug or workflow.metadata.name or workflow.metadata.id


def workflow_summary(workflow: workflow_api.Workflow) -> Json:
    input_schema = None
    if workflow.spec.HasField("input"):
        schema = from_struct(workflow.spec.input).get("schema")
        if isinstance(schema, dict) and isinstance(schema.get("document"), dict):
            input_schema = schema["document"]
    return {
        "id": workflow.metadata.id,
        "name": workflow_name(workflow),
        "description": workflow.spec.description or workflow.spec.document.description,
        "tasks": len(workflow.spec.tasks),
        "input_schema": input_schema,
    }


def workflow_detail(workflow: workflow_api.Workflow) -> Json:
    """The definition page: its DSL YAML and its task graph."""
    detail = workflow_summary(workflow)
    try:
        document = spec_to_document(workflow.spec)
    except ConversionError as error:
        detail.update(yaml=None, graph=None, problem=str(error))
        return detail
    detail.update(yaml=dump_yaml(document), graph=workflow_graph(document), problem=None)
    return detail


def agent_execution_summary(execution: agent_execution_api.AgentExecution, agent: str) -> Json:
    """One row of the executions list for an agent execution (``workflow`` holds the agent)."""
    status = execution.status
    created = _millis(status.audit.created_at, status.audit.HasField("created_at"))
    started = _millis(status.started_at, status.HasField("started_at"))
    return {
        "id": execution.metadata.id,
        "name": execution.metadata.name,
        "version": execution.metadata.version,
        "kind": "agent",
        "workflow_id": "",
        "workflow": agent,
        "phase": _phase(status.phase),
        "paused": False,
        "created_at": created,
        "started_at": started or created,
        "completed_at": _millis(status.completed_at, status.HasField("completed_at")),
    }


def agent_execution_detail(execution: agent_execution_api.AgentExecution, agent: str) -> Json:
    """The conversation, tool calls, sub-agent executions and todos of an agent execution."""
    status = execution.status
    detail = agent_execution_summary(execution, agent)
    detail.update(
        message=execution.spec.message,
        output=from_struct(status.output) if status.HasField("output") else None,
        error=_error(status.error, status.HasField("error")),
        messages=[
            {
                "id": m.id,
                "type": agent_execution_api.MessageType.Name(m.type),
                "content": m.content,
                "name": m.name,
                "at": _millis(m.timestamp, m.HasField("timestamp")),
                "tool_call_ids": list(m.tool_call_ids),
            }
            for m in status.messages
        ],
        tool_calls=[
            {
                "id": c.id,
                "name": c.name,
                "args": from_struct(c.args) if c.HasField("args") else None,
                "result": from_struct(c.result) if c.HasField("result") else None,
                "phase": _phase(c.status),
                "error": _error(c.error, c.HasField("error")),
                # "", WAITING_APPROVAL, APPROVED or REJECTED.
                "approval": (
                    agent_execution_api.ApprovalState.Name(c.approval) if c.approval else ""
                ),
            }
            for c in status.tool_calls
        ],
        sub_agents=[
            {
                "id": s.id,
                "name": s.name,
                "input": s.input,
                "output": s.output,
                "phase": _phase(s.status),
                "error": _error(s.error, s.HasField("error")),
            }
            for s in status.sub_agent_executions
        ],
        todos=[
            {
                "id": t.id,
                "content": t.content,
                "status": agent_execution_api.TodoStatus.Name(t.status),
            }
            for t in status.todos
        ],
    )
    return detail
