"""Live status of one agent run: entries collected as the agent produces them,
sent to ``UpdateStatus`` at most once per ``interval``.

Entries are keyed by id (messages, tool calls, todos, sub-agent executions) and only the ones that changed
since the last report are sent: the server upserts them by id, so a report
never wipes what an earlier attempt reported, and token chunks arriving
faster than the interval are batched into one report of the grown message.
A report that fails (stigmer-server gone past the client's retry budget) is
logged and its entries stay pending for the next one: progress is advisory,
the final status goes back through the orchestration.
"""

from __future__ import annotations

import asyncio
import logging

import grpc
from stigmer.agentexecution.v1 import api_pb2, io_pb2
from stigmer.commons.v1 import phase_pb2

from agent_runner.stigmer_api import AgentServerApi

_log = logging.getLogger(__name__)


class StatusStream:
    """Throttled, merged status reports of one execution; ``await close()`` at the end."""

    def __init__(self, api: AgentServerApi, execution_id: str, interval: float) -> None:
        self._api = api
        self._execution_id = execution_id
        self._interval = interval
        self.messages: dict[str, api_pb2.AgentMessage] = {}
        self.tool_calls: dict[str, api_pb2.ToolCall] = {}
        self.todos: dict[str, api_pb2.Todo] = {}
        self.sub_agents: dict[str, api_pb2.SubAgentExecution] = {}
        self._dirty_messages: set[str] = set()
        self._dirty_tools: set[str] = set()
        self._dirty_todos: set[str] = set()
        self._dirty_subs: set[str] = set()
        self._changed = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        #: Reports sent (for tests and the benchmark).
        self.reports = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"status-{self._execution_id}")
        self._changed.set()  # the first report says IN_PROGRESS

    def message(self, message: api_pb2.AgentMessage) -> None:
        """Record (or grow) a message; sent with the next report."""
        current = self.messages.get(message.id)
        if current is not None and current == message:
            return
        self.messages[message.id] = message
        self._dirty_messages.add(message.id)
        self._changed.set()

    def tool_call(self, call: api_pb2.ToolCall) -> None:
        """Record a tool call's latest state; sent with the next report."""
        current = self.tool_calls.get(call.id)
        if current is not None:
            merged = api_pb2.ToolCall()
            merged.CopyFrom(current)
            merged.MergeFrom(call)
            merged.status = call.status or current.status
            call = merged
            if call == current:
                return
        self.tool_calls[call.id] = call
        self._dirty_tools.add(call.id)
        self._changed.set()

    def todo(self, todo: api_pb2.Todo) -> None:
        """Record a todo's latest state; sent with the next report."""
        if self.todos.get(todo.id) == todo:
            return
        self.todos[todo.id] = todo
        self._dirty_todos.add(todo.id)
        self._changed.set()

    def sub_agent(self, sub: api_pb2.SubAgentExecution) -> None:
        """Record a sub-agent execution's latest state; sent with the next report."""
        if self.sub_agents.get(sub.id) == sub:
            return
        self.sub_agents[sub.id] = sub
        self._dirty_subs.add(sub.id)
        self._changed.set()

    async def close(self) -> None:
        """Send what is pending, then stop."""
        self._stop.set()
        self._changed.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            await self._send()
            if self._stop.is_set():
                if (
                    self._dirty_messages
                    or self._dirty_tools
                    or self._dirty_todos
                    or self._dirty_subs
                ):
                    await self._send()  # whatever arrived while the last one was sent
                return
            # Throttle: no two reports closer than the interval (close() cuts it short).
            await _sleep_unless(self._interval, self._stop)

    async def _send(self) -> None:
        status = api_pb2.AgentExecutionStatus(phase=phase_pb2.IN_PROGRESS)
        status.messages.extend(self.messages[i] for i in self.messages if i in self._dirty_messages)
        status.tool_calls.extend(
            self.tool_calls[i] for i in self.tool_calls if i in self._dirty_tools
        )
        status.todos.extend(self.todos[i] for i in self.todos if i in self._dirty_todos)
        status.sub_agent_executions.extend(
            self.sub_agents[i] for i in self.sub_agents if i in self._dirty_subs
        )
        sent_messages, sent_tools = set(self._dirty_messages), set(self._dirty_tools)
        sent_todos, sent_subs = set(self._dirty_todos), set(self._dirty_subs)
        self._dirty_messages.clear()
        self._dirty_tools.clear()
        self._dirty_todos.clear()
        self._dirty_subs.clear()
        try:
            await self._api.update_status(
                io_pb2.AgentExecutionUpdateStatusInput(
                    execution_id=self._execution_id, status=status
                )
            )
        except grpc.aio.AioRpcError as error:
            _log.warning("status report of %s not sent: %s", self._execution_id, error.code().name)
            self._dirty_messages |= sent_messages
            self._dirty_tools |= sent_tools
            self._dirty_todos |= sent_todos
            self._dirty_subs |= sent_subs
            return
        self.reports += 1


async def _sleep_unless(seconds: float, event: asyncio.Event) -> None:
    """Sleep ``seconds``, or less if ``event`` is set meanwhile (left set)."""
    try:
        await asyncio.wait_for(event.wait(), timeout=seconds)
    except TimeoutError:
        pass
