"""Valid resources of every kind, and the prerequisites they need, created over the API."""

from __future__ import annotations

import itertools
from typing import Any

import grpc
from api_client import stubs
from google.protobuf import json_format
from google.protobuf.message import Message
from stigmer_server import kinds
from stigmer_server.kinds import KindDescriptor

_counter = itertools.count()

WORKFLOW_SPEC = {
    "document": {"dsl": "1.0.0", "namespace": "demo", "name": "hello", "version": "1.0.0"},
    "tasks": [
        {"name": "greet", "kind": "SET", "task_config": {"variables": {"greeting": "hi"}}},
        {
            "name": "fetch",
            "kind": "HTTP_CALL",
            "task_config": {"method": "GET", "endpoint": {"uri": "https://example.com"}},
        },
    ],
}


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_counter)}"


def build(
    kind: KindDescriptor, spec: dict[str, Any], name: str | None = None, **meta: Any
) -> Message:
    data: dict[str, Any] = {
        "metadata": {"name": name or unique(kind.space.replace("_", "-")), **meta},
        "spec": spec,
    }
    return json_format.ParseDict(data, kind.resource_type())


async def create(channel: grpc.aio.Channel, kind: KindDescriptor, **overrides: Any) -> Any:
    """A stored resource of ``kind`` (with its prerequisites)."""
    resource = await sample(channel, kind, **overrides)
    created: Any = await stubs(channel, kind).command.Create(resource)
    return created


async def sample(channel: grpc.aio.Channel, kind: KindDescriptor, **meta: Any) -> Any:
    """An unsaved, valid resource of ``kind``; prerequisites are created."""
    if kind is kinds.WORKFLOW:
        return build(kind, WORKFLOW_SPEC, **meta)
    if kind is kinds.WORKFLOW_INSTANCE:
        workflow = await create(channel, kinds.WORKFLOW)
        return build(kind, {"workflow_id": workflow.metadata.id, "description": "d"}, **meta)
    if kind is kinds.WORKFLOW_EXECUTION:
        workflow = await create(channel, kinds.WORKFLOW)
        return build(kind, {"workflow_id": workflow.metadata.id, "input": {"n": 1}}, **meta)
    if kind is kinds.AGENT:
        return build(kind, {"instructions": "be helpful", "model": "test"}, **meta)
    if kind is kinds.AGENT_INSTANCE:
        agent = await create(channel, kinds.AGENT)
        return build(kind, {"agent_id": agent.metadata.id}, **meta)
    if kind is kinds.SESSION:
        instance = await create(channel, kinds.AGENT_INSTANCE)
        return build(kind, {"agent_instance_id": instance.metadata.id, "subject": "s"}, **meta)
    if kind is kinds.AGENT_EXECUTION:
        agent = await create(channel, kinds.AGENT)
        return build(kind, {"agent_id": agent.metadata.id, "message": "hello"}, **meta)
    if kind is kinds.ENVIRONMENT:
        return build(kind, {"data": {"REGION": {"value": "eu"}}}, **meta)
    if kind is kinds.EXECUTION_CONTEXT:
        execution = await create(channel, kinds.WORKFLOW_EXECUTION)
        return build(
            kind,
            {
                "execution_id": execution.metadata.id,
                "data": {"TOKEN": {"value": "t", "is_secret": True}},
            },
            **meta,
        )
    if kind is kinds.SKILL:
        return build(kind, {"markdown_content": "# Skill"}, **meta)
    if kind is kinds.MCP_SERVER:
        return build(kind, {"stdio": {"command": "mcp-server"}}, **meta)
    raise AssertionError(f"no sample for {kind.kind_name}")
