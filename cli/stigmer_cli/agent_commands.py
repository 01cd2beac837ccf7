"""``stigmer agent run`` and the agent kinds of ``stigmer apply -f``.

``apply -f FILE`` takes Agent, McpServer, Skill and Environment resources
(one or more YAML documents, applied in file order, so an McpServer can come
before the Agent that uses it); anything else is left to the workflow apply.
``agent run NAME MESSAGE [--session S] [--follow]`` sends one message; with
``--follow`` it streams the reply and the tool calls to stderr as they happen
and prints the agent's final answer on stdout (exit 0 completed, 1 failed).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TextIO

import yaml
from google.protobuf import json_format
from google.protobuf.message import Message
from stigmer.agentexecution.v1 import api_pb2 as execution_api
from stigmer.commons.v1 import phase_pb2
from stigmer_common.json_values import from_struct

from stigmer_cli.agent_client import AGENT_KINDS, AgentClient, parse_resource
from stigmer_cli.api import TERMINAL, phase_name
from stigmer_cli.connection import open_channel, tls_from_env
from stigmer_cli.errors import EXIT_FAILED, EXIT_OK, UsageError


def load_agent_resources(path: Path) -> list[Message] | None:
    """The agent-kind resources in ``path``; None when the file holds none (a workflow).

    Raises:
        UsageError: mixed kinds, or a resource that does not parse (one line).
    """
    try:
        documents = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    except (OSError, ValueError, RecursionError, yaml.YAMLError):
        # Unreadable, not UTF-8, too deep, not YAML: the workflow loader reports
        # each with its own wording and limits.
        return None
    kinds = [d.get("kind") if isinstance(d, dict) else None for d in documents]
    if not any(kind in AGENT_KINDS for kind in kinds):
        return None
    others = sorted({str(k) for k in kinds if k not in AGENT_KINDS})
    if others:
        raise UsageError(
            f"{path}: apply takes {', '.join(AGENT_KINDS)} documents together, "
            f"not with {', '.join(others)}"
        )
    return [parse_resource(d, f"{path} ({d['kind']} {i + 1})") for i, d in enumerate(documents)]


async def apply_agent_resources(address: str, resources: list[Message]) -> list[str]:
    """Apply each resource in order; one JSON line (kind, id, slug) per resource."""
    lines = []
    async with open_channel(address, tls_from_env()) as channel:
        client = AgentClient(channel, os.environ.get("STIGMER_API_KEY", ""))
        for resource in resources:
            applied = await client.apply(resource)
            metadata = getattr(applied, "metadata")  # noqa: B009 (every kind has one)
            lines.append(
                json.dumps(
                    {"kind": resource.DESCRIPTOR.name, "id": metadata.id, "slug": metadata.slug}
                )
            )
    return lines


async def run_agent(
    address: str, agent_ref: str, message: str, session: str, *, follow: bool
) -> int:
    """``stigmer agent run``."""
    if not message.strip():
        raise UsageError("agent run: MESSAGE must not be empty")
    async with open_channel(address, tls_from_env()) as channel:
        client = AgentClient(channel, os.environ.get("STIGMER_API_KEY", ""))
        agent = await client.find_agent(agent_ref)
        execution = await client.run(agent, message, session)
        print(f"execution {execution.metadata.id}", file=sys.stderr, flush=True)
        if not follow:
            print(execution.metadata.id)
            return EXIT_OK
        final = await follow_agent(client, execution.metadata.id)
    status = final.status
    if status.phase != phase_pb2.COMPLETED:
        print(f"error: {status.error.message or phase_name(status.phase)}", file=sys.stderr)
        return EXIT_FAILED
    print(status.output.string_value or json_format.MessageToJson(status.output), flush=True)
    return EXIT_OK


async def follow_agent(
    client: AgentClient, execution_id: str, *, progress: TextIO = sys.stderr
) -> execution_api.AgentExecution:
    """Stream the execution until it ends, writing what changed as it arrives.

    Lines, in the conversation's order: ``session ses-...``, ``phase IN_PROGRESS``,
    ``ai: <text as it streams>``, ``tool bump {"label": "x"}`` (a call, with its
    arguments), ``tool bump COMPLETED: <result>``, ``phase COMPLETED``.
    """
    printer = _Printer(progress)
    latest = execution_api.AgentExecution()
    async for update in client.subscribe(execution_id):
        latest = update
        printer.show(update.status)
        if update.status.phase in TERMINAL:
            printer.end_line()
            print(f"phase {phase_name(update.status.phase)}", file=progress, flush=True)
            return latest
    raise UsageError(
        f"follow {execution_id}: the stream ended while the execution was "
        f"{phase_name(latest.status.phase)} (server stopped?); it keeps running"
    )


class _Printer:
    """What was printed already: the phase, each AI message's length, each tool's phase."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._phase = -1
        self._session = ""
        self._printed: dict[str, int] = {}
        self._tools: dict[str, int] = {}
        self._waiting: set[str] = set()
        self._open_line = False

    def end_line(self) -> None:
        if self._open_line:
            self._out.write("\n")
            self._open_line = False

    def _line(self, text: str) -> None:
        self.end_line()
        print(text, file=self._out, flush=True)

    def show(self, status: execution_api.AgentExecutionStatus) -> None:
        if status.session_id and status.session_id != self._session:
            self._session = status.session_id
            self._line(f"session {status.session_id}")
        if status.phase != self._phase and status.phase not in TERMINAL:
            self._phase = status.phase
            self._line(f"phase {phase_name(status.phase)}")
        calls = {call.id: call for call in status.tool_calls}
        for message in status.messages:
            if message.type == execution_api.AI and message.content:
                self._text(message)
            for call_id in message.tool_call_ids:
                if message.type == execution_api.AI and call_id in calls:
                    self._tool(calls[call_id])
        for call in status.tool_calls:
            self._tool(call)

    def _text(self, message: execution_api.AgentMessage) -> None:
        """An AI message as it grows: its new text only."""
        done = self._printed.get(message.id)
        if done is None:
            self.end_line()
            self._out.write(f"ai: {message.content}")
        elif len(message.content) > done:
            self._out.write(message.content[done:])
        self._out.flush()
        self._open_line = True
        self._printed[message.id] = len(message.content)

    def _tool(self, call: execution_api.ToolCall) -> None:
        """``tool NAME ARGS`` when first seen, ``tool NAME PHASE: RESULT`` when it ends
        (both at once when a report brings a call already finished)."""
        if call.id not in self._tools:
            self._tools[call.id] = -1
            args = json.dumps(from_struct(call.args), sort_keys=True)
            self._line(f"tool {call.name} {args}")
        if call.approval == execution_api.WAITING_APPROVAL and call.id not in self._waiting:
            # Shown once: the run holds until `stigmer approve|reject`.
            self._waiting.add(call.id)
            self._line(f"tool {call.name} WAITING_APPROVAL {call.id}")
        if self._tools[call.id] != call.status and call.status in TERMINAL:
            result = call.result.string_value or json_format.MessageToJson(call.result, indent=None)
            if call.status == phase_pb2.FAILED and call.error.message:
                result = call.error.message
            self._line(f"tool {call.name} {phase_name(call.status)}: {result}")
        self._tools[call.id] = call.status
