"""Human approval of guarded tool calls (``AgentSpec.approval_required_tools``).

An agent with guarded tools is compiled to stop before every tools step
(LangGraph's ``interrupt_before``). A step whose calls are all unguarded just
continues. A step with a guarded call that has no decision yet ends the
activity: the calls are reported WAITING_APPROVAL and their ids returned, so
the orchestration waits for the decisions without any activity running. The
thread's checkpoint holds the step, so a runner crash while waiting changes
nothing. The next ``ExecuteGraphton`` carries the decisions and runs the step
here: approved and unguarded calls run, a rejected call gets a ToolMessage
saying so (the tool never runs) and the agent continues from there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.graph.state import CompiledStateGraph
from stigmer.agentexecution.v1 import api_pb2

from agent_runner import messages as convert

#: LangGraph's node that runs the tool calls in a ReAct graph.
TOOLS_NODE = "tools"


def rejection_text(decision: api_pb2.ToolCallDecision) -> str:
    """What the model reads instead of the result of a rejected call."""
    reason = f": {decision.reason}" if decision.reason else ""
    return f"not run: a human rejected this tool call{reason}. Continue without it."


def open_calls(held: list[BaseMessage]) -> list[dict[str, Any]]:
    """The tool calls of the last AI message that have no result yet."""
    if not held or not isinstance(held[-1], AIMessage):
        return []
    answered = {m.tool_call_id for m in held if isinstance(m, ToolMessage)}
    return [dict(call) for call in held[-1].tool_calls if call["id"] not in answered]


def guarded_calls(calls: Iterable[dict[str, Any]], guarded: frozenset[str]) -> list[dict[str, Any]]:
    return [call for call in calls if call["name"] in guarded]


def waiting_entry(call: dict[str, Any]) -> api_pb2.ToolCall:
    """The status entry of a guarded call waiting for its decision."""
    message = AIMessage(content="", tool_calls=[call])
    entry = convert.started_tool_calls(message)[0]
    entry.approval = api_pb2.WAITING_APPROVAL
    return entry


def decided_entry(call: dict[str, Any], decision: api_pb2.ToolCallDecision) -> api_pb2.ToolCall:
    """The status entry of a guarded call once decided (before its result)."""
    entry = waiting_entry(call)
    entry.approval = api_pb2.APPROVED if decision.approved else api_pb2.REJECTED
    entry.approval_reason = decision.reason
    return entry


async def run_decided_step(
    graph: CompiledStateGraph[Any, Any, Any, Any],
    config: RunnableConfig,
    tools: list[BaseTool],
    calls: list[dict[str, Any]],
    decisions: Mapping[str, api_pb2.ToolCallDecision],
) -> list[ToolMessage]:
    """Run the stopped tools step with the decisions: the results, recorded as the
    tools node's step so the graph continues with the model."""
    by_name = {tool.name: tool for tool in tools}
    results: list[ToolMessage] = []
    for call in calls:
        decision = decisions.get(call["id"])
        if decision is not None and not decision.approved:
            results.append(_error_result(call, rejection_text(decision)))
            continue
        tool = by_name.get(call["name"])
        if tool is None:
            results.append(_error_result(call, f"not run: no tool named {call['name']}"))
            continue
        try:
            result = await tool.ainvoke({**call, "type": "tool_call"})
        except Exception as error:  # the model reads a failed tool, like LangGraph's ToolNode
            results.append(_error_result(call, f"Error: {error}"))
            continue
        if not isinstance(result, ToolMessage):
            result = ToolMessage(content=str(result), tool_call_id=call["id"], name=call["name"])
        results.append(result)
    await graph.aupdate_state(config, {"messages": results}, as_node=TOOLS_NODE)
    return results


def _error_result(call: dict[str, Any], text: str) -> ToolMessage:
    return ToolMessage(content=text, tool_call_id=call["id"], name=call["name"], status="error")
