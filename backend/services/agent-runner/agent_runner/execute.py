"""The runner's activities: ``EnsureThread`` and ``ExecuteGraphton``.

``ExecuteGraphton`` runs the agent (a LangGraph ReAct graph: the agent's
model, its MCP tools, its instructions as the system prompt) on the
execution's thread, checkpointed after every step with synchronous
durability. It heartbeats every few seconds with the thread's latest
checkpoint id, and is retried when a runner dies; the new attempt looks for
the execution's user message in the thread (it has a stable id) and, when it
is there, resumes from the last checkpoint instead of sending it again. Tool
calls that completed before the crash are pending writes of that checkpoint,
so LangGraph does not run them again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, cast

import openai
from google.protobuf import struct_pb2
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolMessage,
)
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.errors import GraphRecursionError
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import create_react_agent
from langgraph.warnings import LangGraphDeprecatedSinceV10
from stigmer.agent.v1 import api_pb2 as agent_api
from stigmer.agentexecution.v1 import api_pb2, contract_pb2
from stigmer.agentexecution.v1.contract_temporal import ENSURE_THREAD, EXECUTE_GRAPHTON
from stigmer.commons.v1 import phase_pb2
from temporalio import activity
from temporalio.exceptions import ApplicationError

from agent_runner import approval, delegation, skills
from agent_runner import messages as convert
from agent_runner.errors import MODEL_REQUEST_REJECTED, agent_spec_error
from agent_runner.mcp_sessions import McpSessions
from agent_runner.metrics import AgentMetrics
from agent_runner.models import chat_model, defaults_for
from agent_runner.settings import AgentRunnerSettings
from agent_runner.status_stream import StatusStream
from agent_runner.stigmer_api import AgentServerApi
from agent_runner.threads import human_message_id, thread_id_for
from agent_runner.tools import mcp_tools
from agent_runner.usage_limits import CostLimitExceeded, TokenLimitExceeded, UsageBudget
from agent_runner.variables import execution_variables

_log = logging.getLogger(__name__)

#: Model calls plus tool rounds of one execution when the agent sets no
#: ``limits.max_steps`` (LangGraph's recursion limit counts exactly those steps).
DEFAULT_MAX_STEPS = 50


def heartbeat_every() -> float:
    """A third of the contract's heartbeat timeout: two beats may be lost."""
    timeout = EXECUTE_GRAPHTON.heartbeat_timeout
    return timeout.total_seconds() / 3 if timeout else 10.0


def agent_graph(
    model: BaseChatModel,
    tools: list[BaseTool],
    instructions: str,
    checkpointer: BaseCheckpointSaver[Any] | None,
    *,
    stop_before_tools: bool = False,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """The agent: a ReAct loop of ``model`` and ``tools``, ``instructions`` as system prompt.

    ``checkpointer`` None: not checkpointed (a sub-agent's run). ``stop_before_tools``:
    every tools step stops first (human approval; see :mod:`agent_runner.approval`)."""
    with warnings.catch_warnings():
        # Moved to `langchain.agents.create_agent` (the `langchain` package, not
        # installed: it would bring nothing else this runner uses).
        warnings.simplefilter("ignore", LangGraphDeprecatedSinceV10)
        return create_react_agent(
            model,
            tools,
            prompt=instructions,
            checkpointer=checkpointer,
            interrupt_before=[approval.TOOLS_NODE] if stop_before_tools else None,
        )


class AgentActivities:
    """The AgentExecutionRunner contract's activities, sharing one checkpointer."""

    def __init__(
        self,
        api: AgentServerApi,
        settings: AgentRunnerSettings,
        checkpointer: BaseCheckpointSaver[Any],
        mcp_sessions: McpSessions | None = None,
    ) -> None:
        self._api = api
        self._settings = settings
        self._checkpointer = checkpointer
        self._mcp_sessions = mcp_sessions
        self._thread_locks: dict[str, asyncio.Lock] = {}

    @ENSURE_THREAD.defn
    async def ensure_thread(
        self, arg: contract_pb2.EnsureThreadInput
    ) -> contract_pb2.EnsureThreadOutput:
        """The execution's thread (deterministic; the checkpointer creates it on first write)."""
        return contract_pb2.EnsureThreadOutput(thread_id=thread_id_for(arg.execution))

    @EXECUTE_GRAPHTON.defn
    async def execute_graphton(
        self, arg: contract_pb2.ExecuteGraphtonInput
    ) -> contract_pb2.ExecuteGraphtonOutput:
        """Run (or resume) the agent on the thread; see the module docstring."""
        execution = arg.execution
        execution_id = execution.metadata.id
        thread_id = arg.thread_id or thread_id_for(execution)
        agent = await skills.with_skills(self._api, await self._agent_of(execution))
        environment = await execution_variables(self._api, execution_id, arg.grant)
        limits = agent.spec.limits
        max_steps = limits.max_steps or DEFAULT_MAX_STEPS
        config: RunnableConfig = {
            "configurable": {"thread_id": thread_id},
            "recursion_limit": max_steps,
            "callbacks": [AgentMetrics()],
        }
        stream = StatusStream(self._api, execution_id, self._settings.status_interval)
        stream.start()
        guarded = frozenset(agent.spec.approval_required_tools)
        decisions = {d.tool_call_id: d for d in arg.decisions}
        waiting: list[str] = []
        human = HumanMessage(content=execution.spec.message, id=human_message_id(execution_id))
        turn: list[BaseMessage] = [human]
        budget = UsageBudget(limits)
        try:
            try:
                async with (
                    # One run at a time per thread in this process: two executions of one
                    # session would otherwise interleave their steps on the checkpoint.
                    self._thread_lock(thread_id),
                    self._heartbeats(config),
                    mcp_tools(
                        self._api,
                        list(agent.spec.mcp_servers),
                        environment,
                        self._mcp_sessions,
                    ) as tools,
                ):
                    # The graph and every tool it offers (MCP tools, todos, delegation):
                    # an approved step runs its calls against the same set.
                    graph, tools = self._graph(execution, agent, tools, environment)
                    state = await graph.aget_state(config)
                    held: list[BaseMessage] = list((state.values or {}).get("messages", []))
                    earlier = [m.id for m in held]
                    graph_input: dict[str, Any] | None
                    if human.id in earlier:
                        # A retried attempt: the thread already holds this turn.
                        turn = held[earlier.index(human.id) :]
                        graph_input = None
                        _log.info(
                            "%s resumes %s at attempt %d (%d messages of this turn in the thread)",
                            execution_id,
                            thread_id,
                            activity.info().attempt,
                            len(turn),
                        )
                    else:
                        await _close_unanswered_tool_calls(graph, config, held)
                        graph_input = {"messages": [human]}
                    for message in turn:
                        _report(stream, message)
                    if not guarded:
                        if graph_input is not None or state.next:
                            turn += await self._run(graph, graph_input, config, stream, budget)
                    else:
                        added, waiting = await self._run_guarded(
                            graph,
                            graph_input,
                            config,
                            stream,
                            tools,
                            guarded,
                            decisions,
                            budget,
                        )
                        turn += added
            except BaseExceptionGroup as group:
                # An MCP session's task group wraps what is raised inside it.
                raise _only_exception(group) from None
            final = _waiting_status(stream) if waiting else _final_status(turn, stream)
        except GraphRecursionError:
            final = _failed_status(
                "STEP_LIMIT",
                f"the agent took more than {max_steps} steps (model calls and tool rounds) "
                "without a final answer (limits.max_steps)",
                stream,
            )
        except TokenLimitExceeded as error:
            final = _failed_status("TOKEN_LIMIT", str(error), stream)
        except CostLimitExceeded as error:
            final = _failed_status("COST_LIMIT", str(error), stream)
        except openai.APIStatusError as error:
            if 400 <= error.status_code < 500 and error.status_code not in (408, 409, 429):
                raise ApplicationError(
                    f"the model provider refused the request: HTTP {error.status_code}",
                    type=MODEL_REQUEST_REJECTED,
                    non_retryable=True,
                ) from None
            raise
        finally:
            await stream.close()
        return contract_pb2.ExecuteGraphtonOutput(status=final, waiting_tool_call_ids=waiting)

    async def _agent_of(self, execution: api_pb2.AgentExecution) -> agent_api.Agent:
        agent_id = execution.status.agent_id or execution.spec.agent_id
        if not agent_id:
            # An execution created before the server resolved its agent: read it back.
            stored = await self._api.get_execution(execution.metadata.id)
            agent_id = stored.status.agent_id
        if not agent_id:
            raise agent_spec_error(f"execution {execution.metadata.id} names no agent")
        return await self._api.get_agent(agent_id)

    def _graph(
        self,
        execution: api_pb2.AgentExecution,
        agent: agent_api.Agent,
        tools: list[BaseTool],
        environment: dict[str, str],
    ) -> tuple[CompiledStateGraph[Any, Any, Any, Any], list[BaseTool]]:
        defaults = defaults_for(self._settings.models, environment)
        model = chat_model(
            execution.spec.model or agent.spec.model or defaults.model,
            defaults,
            max_output_tokens=agent.spec.limits.max_output_tokens,
        )
        extra = [delegation.todo_tool()]
        delegate = delegation.task_tool(
            list(agent.spec.sub_agents), self._sub_agent_runner(model, environment)
        )
        if delegate is not None:
            extra.append(delegate)
        offered = [*tools, *extra]
        graph = agent_graph(
            model,
            offered,
            agent.spec.instructions,
            self._checkpointer,
            stop_before_tools=bool(agent.spec.approval_required_tools),
        )
        return graph, offered

    def _sub_agent_runner(
        self, model: BaseChatModel, environment: dict[str, str]
    ) -> delegation.RunSubAgent:
        """Runs a sub-agent to its answer: its own instructions and MCP tools, the
        parent's model, a fresh conversation (not checkpointed: a crash inside it
        runs the ``task`` call again, as any unfinished tool call)."""

        async def run(sub: agent_api.SubAgent, description: str) -> str:
            async with mcp_tools(
                self._api, list(sub.mcp_servers), environment, self._mcp_sessions
            ) as tools:
                graph = agent_graph(model, tools, sub.instructions, None)
                # A config of its own: its tokens are not streamed as the parent's messages.
                result = await graph.ainvoke(
                    {"messages": [HumanMessage(content=description)]},
                    {"recursion_limit": DEFAULT_MAX_STEPS, "callbacks": [AgentMetrics()]},
                )
            answer = next(
                (m for m in reversed(result["messages"]) if isinstance(m, AIMessage)), None
            )
            return convert.text_of(answer.content) if answer is not None else ""

        return run

    async def _run_guarded(
        self,
        graph: CompiledStateGraph[Any, Any, Any, Any],
        graph_input: dict[str, Any] | None,
        config: RunnableConfig,
        stream: StatusStream,
        tools: list[BaseTool],
        guarded: frozenset[str],
        decisions: dict[str, api_pb2.ToolCallDecision],
        budget: UsageBudget,
    ) -> tuple[list[BaseMessage], list[str]]:
        """Run a graph that stops before each tools step (see :mod:`agent_runner.approval`).

        Returns the messages added and the ids of guarded calls still waiting for a
        decision (empty when the turn ended)."""
        added: list[BaseMessage] = []
        run_input = graph_input
        while True:
            if run_input is None:
                state = await graph.aget_state(config)
                if not state.next:
                    return added, []
                if approval.TOOLS_NODE in state.next:
                    held = list((state.values or {}).get("messages", []))
                    calls = approval.open_calls(held)
                    stopped_at = approval.guarded_calls(calls, guarded)
                    undecided = [c for c in stopped_at if c["id"] not in decisions]
                    if undecided:
                        for call in undecided:
                            stream.tool_call(approval.waiting_entry(call))
                        return added, [c["id"] for c in undecided]
                    if stopped_at:
                        for call in stopped_at:
                            stream.tool_call(approval.decided_entry(call, decisions[call["id"]]))
                        results = await approval.run_decided_step(
                            graph, config, tools, calls, decisions
                        )
                        for message in results:
                            added.append(message)
                            _report(stream, message)
            added += await self._run(graph, run_input, config, stream, budget)
            run_input = None

    async def _run(
        self,
        graph: CompiledStateGraph[Any, Any, Any, Any],
        graph_input: dict[str, Any] | None,
        config: RunnableConfig,
        stream: StatusStream,
        budget: UsageBudget,
    ) -> list[BaseMessage]:
        """Stream the graph to its end; the messages it added, in order.

        Raises:
            TokenLimitExceeded: the execution's model calls used more tokens than
                the agent allows; the steps done stay checkpointed.
            CostLimitExceeded: they cost more than ``limits.max_cost_usd``.
        """
        added: list[BaseMessage] = []
        streamed: dict[str, str] = {}  # AI message id -> text so far
        async for part in graph.astream(
            graph_input,
            config,
            stream_mode=["messages", "updates"],
            # Each step's checkpoint is on disk before the next step starts.
            durability="sync",
        ):
            # With a list of modes, each part is (mode, payload).
            mode, chunk = cast(tuple[str, Any], part)
            if mode == "messages":
                piece = chunk[0]
                if isinstance(piece, AIMessageChunk) and piece.id:
                    text = streamed.get(piece.id, "") + convert.text_of(piece.content)
                    streamed[piece.id] = text
                    if text:
                        stream.message(
                            api_pb2.AgentMessage(id=piece.id, type=api_pb2.AI, content=text)
                        )
            elif mode == "updates" and isinstance(chunk, dict):
                for update in chunk.values():
                    for message in (update or {}).get("messages", []):
                        if isinstance(message, BaseMessage):
                            added.append(message)
                            _report(stream, message)
                        if isinstance(message, AIMessage) and message.usage_metadata:
                            budget.add(message.usage_metadata)
        return added

    def _thread_lock(self, thread_id: str) -> asyncio.Lock:
        return self._thread_locks.setdefault(thread_id, asyncio.Lock())

    @contextlib.asynccontextmanager
    async def _heartbeats(self, config: RunnableConfig) -> AsyncIterator[None]:
        """Heartbeat (the latest checkpoint id as details) until the block ends."""

        async def beat() -> None:
            while True:
                latest = await self._checkpointer.aget_tuple(config)
                cursor = latest.config["configurable"].get("checkpoint_id", "") if latest else ""
                activity.heartbeat({"checkpoint_id": cursor})
                await asyncio.sleep(heartbeat_every())

        task = asyncio.create_task(beat())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


#: The result given to a tool call whose execution ended before it completed.
UNANSWERED_TOOL_CALL = "not run: the execution that asked for it ended before it completed"


async def _close_unanswered_tool_calls(
    graph: CompiledStateGraph[Any, Any, Any, Any],
    config: RunnableConfig,
    held: list[BaseMessage],
) -> None:
    """Answer the tool calls an abandoned turn left open (a failed or cancelled
    execution), so the session's next message meets a valid conversation: model
    APIs refuse an assistant tool call without its result."""
    if not held or not isinstance(held[-1], AIMessage) or not held[-1].tool_calls:
        # Only the last AI message can be unanswered: the tools node answers all
        # of a message's calls before the model is called again.
        return
    answered = {m.tool_call_id for m in held if isinstance(m, ToolMessage)}
    missing = [call for call in held[-1].tool_calls if call["id"] not in answered]
    if missing:
        await graph.aupdate_state(
            config,
            {
                "messages": [
                    ToolMessage(
                        content=UNANSWERED_TOOL_CALL,
                        tool_call_id=call["id"] or "",
                        name=call["name"],
                        status="error",
                    )
                    for call in missing
                ]
            },
            # The agent may have no tools (any more): then record it as the model's step.
            as_node="tools" if "tools" in graph.nodes else "agent",
        )


def _only_exception(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The one exception inside (nested) groups, or the group itself when several."""
    leaves: list[BaseException] = []

    def collect(error: BaseException) -> None:
        if isinstance(error, BaseExceptionGroup):
            for inner in error.exceptions:
                collect(inner)
        else:
            leaves.append(error)

    collect(group)
    return leaves[0] if len(leaves) == 1 else group


def _report(stream: StatusStream, message: BaseMessage) -> None:
    entry = convert.agent_message(message)
    if entry is not None and entry.id:
        stream.message(entry)
    if isinstance(message, AIMessage):
        for call in convert.started_tool_calls(message):
            if call.id not in stream.tool_calls:
                stream.tool_call(call)
    elif isinstance(message, ToolMessage):
        stream.tool_call(convert.finished_tool_call(message))
    delegation.report(stream, message)


def _final_status(turn: list[BaseMessage], stream: StatusStream) -> api_pb2.AgentExecutionStatus:
    """COMPLETED, with this turn's messages and tool calls and the last AI text as output."""
    status = api_pb2.AgentExecutionStatus(phase=phase_pb2.COMPLETED)
    status.messages.extend(stream.messages.values())
    status.tool_calls.extend(stream.tool_calls.values())
    status.todos.extend(stream.todos.values())
    status.sub_agent_executions.extend(stream.sub_agents.values())
    answer = next((m for m in reversed(turn) if isinstance(m, AIMessage)), None)
    if answer is not None:
        status.output.CopyFrom(struct_pb2.Value(string_value=convert.text_of(answer.content)))
    status.completed_at.FromDatetime(datetime.now(UTC))
    return status


def _waiting_status(stream: StatusStream) -> api_pb2.AgentExecutionStatus:
    """Not final: the turn stopped before guarded tool calls (WAITING_APPROVAL)."""
    status = api_pb2.AgentExecutionStatus(phase=phase_pb2.IN_PROGRESS)
    status.messages.extend(stream.messages.values())
    status.tool_calls.extend(stream.tool_calls.values())
    return status


def _failed_status(code: str, message: str, stream: StatusStream) -> api_pb2.AgentExecutionStatus:
    status = api_pb2.AgentExecutionStatus(phase=phase_pb2.FAILED)
    status.messages.extend(stream.messages.values())
    status.tool_calls.extend(stream.tool_calls.values())
    status.todos.extend(stream.todos.values())
    status.sub_agent_executions.extend(stream.sub_agents.values())
    status.error.code = code
    status.error.message = message
    status.completed_at.FromDatetime(datetime.now(UTC))
    return status
