"""Todos and sub-agents: the ``write_todos`` and ``task`` tools, and their status entries.

The tools are what deepagents gives an agent: ``write_todos`` replaces the
agent's plan (a list of items with a status), ``task`` hands a piece of work to
one of the sub-agents declared in the Agent spec and returns its final answer.

Their status entries (``todos``, ``sub_agent_executions``) are derived from the
thread's messages, not from the tools running: the AI message asking for
``write_todos`` carries the plan, the one asking for ``task`` starts a
sub-agent execution and the tool's result ends it. A resumed attempt replays
the thread's messages, so it reports the same entries with the same ids (a
tool call that completed before a crash is not run again, but is reported).
Todo ids are positions (``todo-1``...): each call rewrites the plan, so a
position's item is replaced as a whole by the server's upsert.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Literal

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field
from stigmer.agent.v1 import api_pb2 as agent_api
from stigmer.agentexecution.v1 import api_pb2
from stigmer.commons.v1 import phase_pb2

from agent_runner.messages import text_of
from agent_runner.status_stream import StatusStream

TODO_TOOL = "write_todos"
TASK_TOOL = "task"

TodoState = Literal["pending", "in_progress", "completed", "cancelled"]
_TODO_STATUS = {
    "pending": api_pb2.TODO_PENDING,
    "in_progress": api_pb2.TODO_IN_PROGRESS,
    "completed": api_pb2.TODO_COMPLETED,
    "cancelled": api_pb2.TODO_CANCELLED,
}


class TodoItem(BaseModel):
    content: str = Field(description="what to do, one short sentence")
    status: TodoState = Field(description="pending, in_progress, completed or cancelled")


class TodoList(BaseModel):
    todos: list[TodoItem] = Field(description="the whole plan, in order (replaces the last)")


def todo_tool() -> BaseTool:
    """``write_todos``: the agent's plan, shown live in the execution's status."""

    def write_todos(todos: list[TodoItem]) -> str:
        return "Updated the todo list: " + "; ".join(
            f"[{item.status}] {item.content}" for item in todos
        )

    return StructuredTool.from_function(
        write_todos,
        name=TODO_TOOL,
        description=(
            "Write your plan as a todo list for multi-step work, and rewrite it as items "
            "progress (mark one in_progress before working on it, completed when done). "
            "Each call replaces the whole list."
        ),
        args_schema=TodoList,
    )


class TaskInput(BaseModel):
    description: str = Field(description="the work to hand over, with everything it needs")
    subagent_type: str = Field(description="the name of the sub-agent to run it")


#: Runs sub-agent ``name`` on ``description``; its final answer.
RunSubAgent = Callable[[agent_api.SubAgent, str], Awaitable[str]]


def task_tool(sub_agents: Sequence[agent_api.SubAgent], run: RunSubAgent) -> BaseTool | None:
    """``task``: delegate to a sub-agent of the spec (None when it declares none)."""
    if not sub_agents:
        return None
    by_name = {sub.name: sub for sub in sub_agents}
    listing = "\n".join(
        f"- {sub.name}: {sub.description or sub.instructions}" for sub in sub_agents
    )

    async def task(description: str, subagent_type: str) -> str:
        sub = by_name.get(subagent_type)
        if sub is None:
            # The model chose a name that is not declared: tell it (a tool result, not a crash).
            return f"no sub-agent {subagent_type!r}; one of: {', '.join(by_name)}"
        return await run(sub, description)

    return StructuredTool.from_function(
        coroutine=task,
        name=TASK_TOOL,
        description=(
            "Hand a self-contained piece of work to a sub-agent; returns its final answer. "
            f"Sub-agents:\n{listing}"
        ),
        args_schema=TaskInput,
    )


def _now() -> datetime:
    return datetime.now(UTC)


def todos_of(message: AIMessage) -> list[api_pb2.Todo] | None:
    """The plan the last ``write_todos`` call of ``message`` writes (None: no such call)."""
    plans = [call["args"].get("todos") for call in message.tool_calls if call["name"] == TODO_TOOL]
    if not plans or not isinstance(plans[-1], list):
        return None
    todos = []
    for position, item in enumerate(plans[-1], start=1):
        item = item if isinstance(item, dict) else {}
        todos.append(
            api_pb2.Todo(
                id=f"todo-{position}",
                content=str(item.get("content", "")),
                status=_TODO_STATUS.get(str(item.get("status")), api_pb2.TODO_PENDING),
            )
        )
    return todos


def started_sub_agents(message: AIMessage) -> list[api_pb2.SubAgentExecution]:
    """The sub-agent executions ``message`` asks for (``task`` calls), IN_PROGRESS."""
    started = []
    for call in message.tool_calls:
        if call["name"] != TASK_TOOL:
            continue
        entry = api_pb2.SubAgentExecution(
            id=f"sub-{call['id']}",
            name=str(call["args"].get("subagent_type", "")),
            input=str(call["args"].get("description", "")),
            status=phase_pb2.IN_PROGRESS,
        )
        entry.started_at.FromDatetime(_now())
        started.append(entry)
    return started


def finished_sub_agent(
    message: ToolMessage, started: api_pb2.SubAgentExecution | None
) -> api_pb2.SubAgentExecution | None:
    """The sub-agent execution a ``task`` result ends (None for other tools)."""
    if message.name != TASK_TOOL:
        return None
    entry = api_pb2.SubAgentExecution(id=f"sub-{message.tool_call_id}")
    if started is not None:
        entry.CopyFrom(started)
    entry.output = text_of(message.content)
    if message.status == "error":
        entry.status = phase_pb2.FAILED
        entry.error.code = "TOOL_ERROR"
        entry.error.message = entry.output
    else:
        entry.status = phase_pb2.COMPLETED
    entry.completed_at.FromDatetime(_now())
    return entry


def report(stream: StatusStream, message: BaseMessage) -> None:
    """Record in ``stream`` the todos and sub-agent executions ``message`` changes."""
    if isinstance(message, AIMessage):
        for todo in todos_of(message) or []:
            stream.todo(todo)
        for sub in started_sub_agents(message):
            if sub.id not in stream.sub_agents:
                stream.sub_agent(sub)
    elif isinstance(message, ToolMessage):
        started = stream.sub_agents.get(f"sub-{message.tool_call_id}")
        finished = finished_sub_agent(message, started)
        if finished is not None:
            stream.sub_agent(finished)
