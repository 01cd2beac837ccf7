"""The resource kinds ``stigmer get`` / ``stigmer list`` know, read from the API's kind enum.

Every kind has the same query service (Get, GetByReference, List) in
``stigmer.<kind package>.v1``; the id prefix and the kind name come from the
``ApiResourceKind`` enum options, so a kind added there needs one line here.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, cast

from stigmer.commons.v1 import kind_pb2

from stigmer_cli.errors import UsageError


@dataclass(frozen=True)
class ResourceKind:
    """One kind as the CLI spells it: ``plural`` first, then the other accepted names."""

    kind: int
    plural: str
    aliases: tuple[str, ...] = ()

    @property
    def _options(self) -> Any:
        value = kind_pb2.ApiResourceKind.DESCRIPTOR.values_by_number[self.kind]
        return value.GetOptions()

    @property
    def kind_name(self) -> str:
        """The resource's ``kind`` field, e.g. ``WorkflowExecution``."""
        return str(self._options.Extensions[kind_pb2.kind_name])

    @property
    def id_prefix(self) -> str:
        return str(self._options.Extensions[kind_pb2.id_prefix])

    @property
    def names(self) -> tuple[str, ...]:
        return (self.plural, *self.aliases, self.id_prefix)

    def query_stub(self, channel: Any) -> Any:
        """The kind's ``<Kind>QueryController`` stub on ``channel``."""
        package = self.kind_name.lower()
        module = importlib.import_module(f"stigmer.{package}.v1.query_pb2_grpc")
        return getattr(module, f"{self.kind_name}QueryControllerStub")(channel)


KINDS = (
    ResourceKind(kind_pb2.WORKFLOW, "workflows", ("workflow", "wf")),
    ResourceKind(kind_pb2.WORKFLOW_EXECUTION, "executions", ("execution", "workflow-executions")),
    ResourceKind(kind_pb2.WORKFLOW_INSTANCE, "workflow-instances", ("workflow-instance",)),
    ResourceKind(kind_pb2.AGENT, "agents", ("agent",)),
    ResourceKind(kind_pb2.AGENT_INSTANCE, "agent-instances", ("agent-instance",)),
    ResourceKind(kind_pb2.SESSION, "sessions", ("session",)),
    ResourceKind(kind_pb2.AGENT_EXECUTION, "agent-executions", ("agent-execution",)),
    ResourceKind(kind_pb2.ENVIRONMENT, "environments", ("environment",)),
    ResourceKind(kind_pb2.EXECUTION_CONTEXT, "execution-contexts", ("execution-context",)),
    ResourceKind(kind_pb2.SKILL, "skills", ("skill",)),
    ResourceKind(kind_pb2.MCP_SERVER, "mcp-servers", ("mcp-server",)),
)

KIND_NAMES = tuple(kind.plural for kind in KINDS)


def kind_named(name: str) -> ResourceKind:
    """The kind spelled ``name`` (plural, singular or id prefix), or a one-line error."""
    wanted = name.strip().lower()
    for kind in KINDS:
        if wanted in kind.names:
            return kind
    raise UsageError(f"KIND: unknown kind {name!r}; one of {', '.join(KIND_NAMES)}")


def kind_of_id(resource_id: str) -> ResourceKind | None:
    """The kind whose ids start like ``resource_id`` (``wex-...``), if any."""
    prefix = resource_id.partition("-")[0]
    return next((kind for kind in KINDS if kind.id_prefix == prefix), None)


def cast_kind(value: int) -> kind_pb2.ApiResourceKind.ValueType:
    return cast(kind_pb2.ApiResourceKind.ValueType, value)
