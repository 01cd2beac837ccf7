"""Which session (and instance, agent) a new agent execution belongs to."""

from __future__ import annotations

from typing import Any, cast

from stigmer.agent.v1 import api_pb2 as agent_api
from stigmer.agentexecution.v1 import api_pb2
from stigmer.agentinstance.v1 import api_pb2 as agentinstance_api
from stigmer.session.v1 import api_pb2 as session_api

from stigmer_server import kinds
from stigmer_server.api.default_instances import agent_default_instance
from stigmer_server.api.references import require
from stigmer_server.dependencies import Dependencies
from stigmer_server.errors import InvalidArgument, NotFound
from stigmer_server.kinds import API_VERSION
from stigmer_server.pipeline.context import PendingWrite, RequestContext

_SUBJECT_MAX = 120


class ResolveSession:
    """``spec.session_id`` if given; otherwise a new session for
    ``spec.agent_instance_id``, or for ``spec.agent_id``'s default instance
    (created on demand). The resolved ids are recorded in status.

    What it names must be in the execution's org (NOT_FOUND otherwise, as for
    that org's keys): a key of every org (the platform's runner, creating a
    workflow's `call: agent` execution in the workflow's org) could otherwise
    run one org's execution on another org's agent or session."""

    name = "resolve-session"

    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    async def run(self, ctx: RequestContext) -> None:
        execution = cast(api_pb2.AgentExecution, ctx.require_resource())
        spec = execution.spec
        org = execution.metadata.org
        if spec.session_id:
            session = cast(
                session_api.Session,
                in_org(
                    require(self._deps, kinds.SESSION, spec.session_id, "spec.session_id"),
                    org,
                    "spec.session_id",
                ),
            )
            session_id = session.metadata.id
            instance_id = session.spec.agent_instance_id
            instance = cast(
                agentinstance_api.AgentInstance,
                require(self._deps, kinds.AGENT_INSTANCE, instance_id, "spec.session_id"),
            )
            agent_id = instance.spec.agent_id
        elif spec.agent_instance_id:
            instance = cast(
                agentinstance_api.AgentInstance,
                in_org(
                    require(
                        self._deps,
                        kinds.AGENT_INSTANCE,
                        spec.agent_instance_id,
                        "spec.agent_instance_id",
                    ),
                    org,
                    "spec.agent_instance_id",
                ),
            )
            instance_id = instance.metadata.id
            agent_id = instance.spec.agent_id
            session_id = self._open_session(ctx, execution, instance_id)
        else:
            agent = cast(
                agent_api.Agent,
                in_org(
                    require(self._deps, kinds.AGENT, spec.agent_id, "spec.agent_id"),
                    org,
                    "spec.agent_id",
                ),
            )
            agent_id = agent.metadata.id
            instance_id = agent_default_instance(self._deps, ctx, agent)
            session_id = self._open_session(ctx, execution, instance_id)
        if spec.agent_instance_id and spec.agent_instance_id != instance_id:
            raise InvalidArgument(
                f"is {spec.agent_instance_id} but session {session_id} belongs to {instance_id}",
                field="spec.agent_instance_id",
            )
        if spec.agent_id and spec.agent_id != agent_id:
            raise InvalidArgument(
                f"is {spec.agent_id} but the resolved instance runs agent {agent_id}",
                field="spec.agent_id",
            )
        execution.status.session_id = session_id
        execution.status.agent_instance_id = instance_id
        execution.status.agent_id = agent_id

    def _open_session(
        self, ctx: RequestContext, execution: api_pb2.AgentExecution, instance_id: str
    ) -> str:
        session_id = self._deps.ids.new_id(kinds.SESSION.kind)
        now = self._deps.clock()
        session = session_api.Session(api_version=API_VERSION, kind=kinds.SESSION.kind_name)
        session.metadata.id = session.metadata.name = session.metadata.slug = session_id
        session.metadata.org = execution.metadata.org
        session.metadata.version = 1
        session.spec.agent_instance_id = instance_id
        session.spec.subject = execution.spec.message[:_SUBJECT_MAX]
        audit = session.status.audit
        audit.created_at.CopyFrom(now)
        audit.updated_at.CopyFrom(now)
        audit.created_by = audit.updated_by = ctx.caller
        ctx.extra_writes.append(PendingWrite(kinds.SESSION, session, session_id))
        return session_id


def in_org(resource: Any, org: str, field: str) -> Any:
    """``resource`` if it belongs to ``org``; NOT_FOUND (naming ``field``) otherwise."""
    if resource.metadata.org != org:
        raise NotFound(
            f"{resource.kind} {resource.metadata.id} not found in org {org!r}", field=field
        )
    return resource
