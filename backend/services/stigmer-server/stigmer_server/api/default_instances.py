"""Default instances, created on demand when an execution names only its definition.

A Workflow (or Agent) keeps the id of its default instance in its status. The
instance and the updated definition are added to the request's batch, so they
are persisted atomically with the execution itself: a crash cannot leave a
default instance nobody points at.
"""

from __future__ import annotations

from stigmer.agent.v1 import api_pb2 as agent_api
from stigmer.agentinstance.v1 import api_pb2 as agentinstance_api
from stigmer.workflow.v1 import api_pb2 as workflow_api
from stigmer.workflowinstance.v1 import api_pb2 as workflowinstance_api

from stigmer_server import kinds
from stigmer_server.dependencies import Dependencies
from stigmer_server.kinds import API_VERSION, KindDescriptor
from stigmer_server.pipeline.context import PendingWrite, RequestContext

_SLUG_MAX = 63


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
    existing = workflow.status.default_instance_id
    if existing and deps.repository.get(kinds.WORKFLOW_INSTANCE, existing) is not None:
        return existing
    instance_id = deps.ids.new_id(kinds.WORKFLOW_INSTANCE.kind)
    now = deps.clock()
    instance = workflowinstance_api.WorkflowInstance(
        api_version=API_VERSION, kind=kinds.WORKFLOW_INSTANCE.kind_name
    )
    instance.metadata.id = instance_id
    instance.metadata.name = f"{workflow.metadata.name} (default)"
    instance.metadata.org = workflow.metadata.org
    instance.metadata.slug = _default_slug(
        deps, kinds.WORKFLOW_INSTANCE, workflow.metadata.org, workflow.metadata.slug, instance_id
    )
    instance.metadata.version = 1
    instance.spec.workflow_id = workflow.metadata.id
    instance.spec.description = "Created on demand for executions that name only the workflow."
    for audit in (instance.status.audit,):
        audit.created_at.CopyFrom(now)
        audit.updated_at.CopyFrom(now)
        audit.created_by = audit.updated_by = ctx.caller
    updated = workflow_api.Workflow()
    updated.CopyFrom(workflow)
    updated.status.default_instance_id = instance_id
    updated.metadata.version += 1
    updated.status.audit.updated_at.CopyFrom(now)
    updated.status.audit.updated_by = ctx.caller
    ctx.extra_writes.append(PendingWrite(kinds.WORKFLOW_INSTANCE, instance, instance_id))
    ctx.extra_writes.append(PendingWrite(kinds.WORKFLOW, updated, workflow.metadata.id))
    return instance_id


def agent_default_instance(deps: Dependencies, ctx: RequestContext, agent: agent_api.Agent) -> str:
    """Same as :func:`workflow_default_instance`, for agents."""
    existing = agent.status.default_instance_id
    if existing and deps.repository.get(kinds.AGENT_INSTANCE, existing) is not None:
        return existing
    instance_id = deps.ids.new_id(kinds.AGENT_INSTANCE.kind)
    now = deps.clock()
    instance = agentinstance_api.AgentInstance(
        api_version=API_VERSION, kind=kinds.AGENT_INSTANCE.kind_name
    )
    instance.metadata.id = instance_id
    instance.metadata.name = f"{agent.metadata.name} (default)"
    instance.metadata.org = agent.metadata.org
    instance.metadata.slug = _default_slug(
        deps, kinds.AGENT_INSTANCE, agent.metadata.org, agent.metadata.slug, instance_id
    )
    instance.metadata.version = 1
    instance.spec.agent_id = agent.metadata.id
    instance.spec.description = "Created on demand for executions that name only the agent."
    audit = instance.status.audit
    audit.created_at.CopyFrom(now)
    audit.updated_at.CopyFrom(now)
    audit.created_by = audit.updated_by = ctx.caller
    updated = agent_api.Agent()
    updated.CopyFrom(agent)
    updated.status.default_instance_id = instance_id
    updated.metadata.version += 1
    updated.status.audit.updated_at.CopyFrom(now)
    updated.status.audit.updated_by = ctx.caller
    ctx.extra_writes.append(PendingWrite(kinds.AGENT_INSTANCE, instance, instance_id))
    ctx.extra_writes.append(PendingWrite(kinds.AGENT, updated, agent.metadata.id))
    return instance_id
