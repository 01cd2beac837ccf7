"""Default instances, created on demand when an execution names only its definition.

A Workflow (or Agent) keeps the id of its default instance in its status. The
instance and the updated definition are added to the request's batch, so they
are persisted atomically with the execution itself: a crash cannot leave a
default instance nobody points at.
"""

from __future__ import annotations

from typing import TypeVar

from stigmer.agent.v1 import api_pb2 as agent_api
from stigmer.agentinstance.v1 import api_pb2 as agentinstance_api
from stigmer.workflow.v1 import api_pb2 as workflow_api
from stigmer.workflowinstance.v1 import api_pb2 as workflowinstance_api

from stigmer_server import kinds
from stigmer_server.dependencies import Dependencies
from stigmer_server.kinds import API_VERSION, KindDescriptor
from stigmer_server.pipeline.context import PendingWrite, RequestContext

_SLUG_MAX = 63

Definition = TypeVar("Definition", workflow_api.Workflow, agent_api.Agent)
Instance = workflowinstance_api.WorkflowInstance | agentinstance_api.AgentInstance


def _default_slug(
    deps: Dependencies, kind: KindDescriptor, org: str, owner_slug: str, new_id: str
) -> str:
    slug = f"{owner_slug[: _SLUG_MAX - len('-default')]}-default"
    if deps.repository.id_by_slug(kind, org, slug) is None:
        return slug
    return new_id  # taken by a user's own instance: the id is a valid, unique slug


def workflow_default_instance(
    deps: Dependencies, ctx: RequestContext, workflow: workflow_api.Workflow
) -> str:
    """The workflow's default instance id, adding it (and the workflow) to the batch
    when it does not exist yet."""
    instance = workflowinstance_api.WorkflowInstance()
    instance.spec.workflow_id = workflow.metadata.id
    return _default_instance(
        deps, ctx, workflow, kinds.WORKFLOW, instance, kinds.WORKFLOW_INSTANCE, "workflow"
    )


def agent_default_instance(deps: Dependencies, ctx: RequestContext, agent: agent_api.Agent) -> str:
    """Same as :func:`workflow_default_instance`, for agents."""
    instance = agentinstance_api.AgentInstance()
    instance.spec.agent_id = agent.metadata.id
    return _default_instance(deps, ctx, agent, kinds.AGENT, instance, kinds.AGENT_INSTANCE, "agent")


def _default_instance(
    deps: Dependencies,
    ctx: RequestContext,
    definition: Definition,
    definition_kind: KindDescriptor,
    instance: Instance,
    instance_kind: KindDescriptor,
    noun: str,
) -> str:
    """Return the definition's default instance id, creating ``instance`` (whose spec
    already points at the definition) in the batch when it does not exist yet."""
    existing = definition.status.default_instance_id
    if existing and deps.repository.get(instance_kind, existing) is not None:
        return existing
    instance_id = deps.ids.new_id(instance_kind.kind)
    now = deps.clock()
    instance.api_version = API_VERSION
    instance.kind = instance_kind.kind_name
    instance.metadata.id = instance_id
    instance.metadata.name = f"{definition.metadata.name} (default)"
    instance.metadata.org = definition.metadata.org
    instance.metadata.slug = _default_slug(
        deps, instance_kind, definition.metadata.org, definition.metadata.slug, instance_id
    )
    instance.metadata.version = 1
    instance.spec.description = f"Created on demand for executions that name only the {noun}."
    audit = instance.status.audit
    audit.created_at.CopyFrom(now)
    audit.updated_at.CopyFrom(now)
    audit.created_by = audit.updated_by = ctx.caller
    updated = type(definition)()
    updated.CopyFrom(definition)
    updated.status.default_instance_id = instance_id
    updated.metadata.version += 1
    updated.status.audit.updated_at.CopyFrom(now)
    updated.status.audit.updated_by = ctx.caller
    ctx.extra_writes.append(PendingWrite(instance_kind, instance, instance_id))
    ctx.extra_writes.append(PendingWrite(definition_kind, updated, definition.metadata.id))
    return instance_id
