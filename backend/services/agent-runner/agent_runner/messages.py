"""LangChain messages as AgentExecution status entries (messages, tool calls).

Status ids are stable across attempts, so a resumed attempt's reports upsert
the entries an earlier one sent: an AI message keeps the id LangChain gave it
(stored in the checkpoint), a tool result is ``tool-{tool_call_id}``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from google.protobuf import struct_pb2
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from stigmer.agentexecution.v1 import api_pb2
from stigmer.commons.v1 import phase_pb2


def text_of(content: str | list[str | dict[str, Any]]) -> str:
    """The text of a message's content (a string or a list of content blocks)."""
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif block.get("type") == "text" and isinstance(block.get("text"), str):
            parts.append(block["text"])
    return "".join(parts)


def status_id(message: BaseMessage) -> str:
    """The status id of a thread message (see the module docstring)."""
    if isinstance(message, ToolMessage):
        return f"tool-{message.tool_call_id}"
    return message.id or ""


def _now() -> datetime:
    return datetime.now(UTC)


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def agent_message(message: BaseMessage) -> api_pb2.AgentMessage | None:
    """The status message of a thread message (None for kinds not shown)."""
    entry = api_pb2.AgentMessage(id=status_id(message), content=text_of(message.content))
    entry.timestamp.FromDatetime(_now())
    if isinstance(message, AIMessage):
        entry.type = api_pb2.AI
        entry.tool_call_ids.extend(call["id"] or "" for call in message.tool_calls)
    elif isinstance(message, ToolMessage):
        entry.type = api_pb2.TOOL
        entry.name = message.name or ""
        entry.tool_call_ids.append(message.tool_call_id)
    elif isinstance(message, HumanMessage):
        entry.type = api_pb2.HUMAN
    else:
        return None
    return entry


def started_tool_calls(message: AIMessage) -> list[api_pb2.ToolCall]:
    """The tool calls an AI message asks for, IN_PROGRESS with their arguments."""
    calls = []
    for call in message.tool_calls:
        entry = api_pb2.ToolCall(
            id=call["id"] or "", name=call["name"], status=phase_pb2.IN_PROGRESS
        )
        entry.args.update(_json_safe(call["args"]))
        entry.started_at.FromDatetime(_now())
        calls.append(entry)
    return calls


def finished_tool_call(message: ToolMessage) -> api_pb2.ToolCall:
    """A tool call's result: COMPLETED, or FAILED when the tool reported an error."""
    failed = message.status == "error"
    entry = api_pb2.ToolCall(
        id=message.tool_call_id,
        name=message.name or "",
        status=phase_pb2.FAILED if failed else phase_pb2.COMPLETED,
        result=struct_pb2.Value(string_value=text_of(message.content)),
    )
    if failed:
        entry.error.code = "TOOL_ERROR"
        entry.error.message = text_of(message.content)
    entry.completed_at.FromDatetime(_now())
    return entry
