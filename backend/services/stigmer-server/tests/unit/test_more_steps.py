"""The remaining shared steps: loads, version bump, publish, references, start."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from google.protobuf.message import Message
from stigmer.agent.v1 import api_pb2 as agent_api
from stigmer.commons.v1 import io_pb2, kind_pb2
from stigmer.commons.v1 import phase_pb2 as phase
from stigmer.skill.v1 import api_pb2 as skill_api
from stigmer.workflowexecution.v1 import api_pb2 as wex_api
from stigmer_server import kinds
from stigmer_server.api.agent import agent_references
from stigmer_server.api.execution_start import StartExecution
from stigmer_server.api.references import RequireReferences, require
from stigmer_server.dependencies import Dependencies
from stigmer_server.errors import InvalidArgument, NotFound
from stigmer_server.execution.starter import OrchestratorUnavailable
from stigmer_server.pipeline import RequestContext
from stigmer_server.pipeline.steps.build_state import BuildCreatedState, BumpVersion
from stigmer_server.pipeline.steps.load import LoadById, LoadExisting
from stigmer_server.pipeline.steps.persist import Persist, PersistDelete
from stigmer_server.pipeline.steps.publish import PublishChange
from stigmer_server.repository import Repository
from stigmer_server.store import ResourceStore


@pytest.fixture
async def deps(tmp_path: Path) -> AsyncIterator[Dependencies]:
    store = ResourceStore(tmp_path)
    store.open()
    yield Dependencies(repository=Repository(store), starter=OrchestratorUnavailable("test"))
    store.close()


async def stored(deps: Dependencies, kind: kinds.KindDescriptor, resource: Message) -> Message:
    ctx = RequestContext(kind=kind, operation="create", request=resource, resource=resource)
    await BuildCreatedState(deps).run(ctx)
    await Persist(deps).run(ctx)
    return resource


def a_skill(slug: str = "s") -> skill_api.Skill:
    s = skill_api.Skill()
    s.metadata.name = s.metadata.slug = slug
    s.metadata.org = "local"
    return s


def an_execution() -> wex_api.WorkflowExecution:
    e = wex_api.WorkflowExecution()
    e.metadata.org = "local"
    e.metadata.slug = e.metadata.name = "e"
    return e


async def test_load_existing_requires_and_finds_the_id(deps: Dependencies) -> None:
    skill = await stored(deps, kinds.SKILL, a_skill())
    with pytest.raises(InvalidArgument, match=r"metadata\.id"):
        await LoadExisting(deps).run(
            RequestContext(kinds.SKILL, "update", a_skill(), resource=a_skill())
        )
    missing = a_skill()
    missing.metadata.id = "skl-missing"
    with pytest.raises(NotFound, match=r"metadata\.id"):
        await LoadExisting(deps).run(
            RequestContext(kinds.SKILL, "update", missing, resource=missing)
        )
    found = RequestContext(kinds.SKILL, "update", skill, resource=skill)
    await LoadExisting(deps).run(found)
    assert found.existing == skill


async def test_load_by_id_then_delete_leaves_nothing(deps: Dependencies) -> None:
    skill = await stored(deps, kinds.SKILL, a_skill())
    ctx = RequestContext(kinds.SKILL, "delete", io_pb2.ApiResourceId(value=skill.metadata.id))  # type: ignore[attr-defined]
    await LoadById(deps).run(ctx)
    await PersistDelete(deps).run(ctx)
    assert deps.repository.get(kinds.SKILL, skill.metadata.id) is None  # type: ignore[attr-defined]
    assert deps.repository.id_by_slug(kinds.SKILL, "local", "s") is None


async def test_bump_version_only_when_changed(deps: Dependencies) -> None:
    skill = a_skill()
    skill.metadata.version = 3
    ctx = RequestContext(kinds.SKILL, "update_status", skill, resource=skill, changed=False)
    await BumpVersion(deps).run(ctx)
    assert skill.metadata.version == 3
    ctx.changed = True
    await BumpVersion(deps).run(ctx)
    assert skill.metadata.version == 4


async def test_publish_reaches_subscribers_of_executions_only(deps: Dependencies) -> None:
    execution = an_execution()
    execution.metadata.id = "wex-1"
    with deps.change_feed.subscribe("wex-1") as queue:
        await PublishChange(deps).run(
            RequestContext(kinds.WORKFLOW_EXECUTION, "x", execution, resource=execution)
        )
        assert (await queue.get()) == execution


async def test_require_checks_prefix_then_existence(deps: Dependencies) -> None:
    with pytest.raises(InvalidArgument, match="not a Workflow id"):
        require(deps, kinds.WORKFLOW, "agt-1", "spec.workflow_id")
    with pytest.raises(NotFound, match="Workflow wfl-1 not found"):
        require(deps, kinds.WORKFLOW, "wfl-1", "spec.workflow_id")


async def test_references_must_resolve_in_the_resource_org(deps: Dependencies) -> None:
    await stored(deps, kinds.SKILL, a_skill("known"))
    agent = agent_api.Agent()
    agent.metadata.org = "local"
    agent.spec.skill_refs.add(slug="known", kind=kind_pb2.SKILL)
    agent.spec.sub_agents.add(name="x").skill_refs.add(slug="unknown", kind=kind_pb2.SKILL)
    step = RequireReferences(deps, agent_references)
    with pytest.raises(NotFound) as caught:
        await step.run(RequestContext(kinds.AGENT, "create", agent, resource=agent))
    assert caught.value.field == "spec.sub_agents[0].skill_refs[0].slug"


async def test_failed_start_keeps_the_execution_pending_and_says_why(
    deps: Dependencies, caplog: pytest.LogCaptureFixture
) -> None:
    execution = await stored(deps, kinds.WORKFLOW_EXECUTION, an_execution())

    async def refuse(_: Message) -> bool:
        raise TimeoutError("no frontend")

    step = StartExecution(refuse)
    ctx = RequestContext(kinds.WORKFLOW_EXECUTION, "create", execution, resource=execution)
    await step.run(ctx)  # acknowledged: stored, reconciliation will start it
    saved = deps.repository.get(kinds.WORKFLOW_EXECUTION, execution.metadata.id)  # type: ignore[attr-defined]
    assert isinstance(saved, wex_api.WorkflowExecution)
    assert saved.status.phase == phase.PENDING
    [warning] = [r for r in caplog.records if r.levelname == "WARNING"]
    assert execution.metadata.id in warning.getMessage()  # type: ignore[attr-defined]
    assert "no frontend" in warning.getMessage()
