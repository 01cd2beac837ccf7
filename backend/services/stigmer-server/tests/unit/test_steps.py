"""The shared pipeline steps, each on its own, against a real store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from stigmer.commons.v1 import phase_pb2
from stigmer.skill.v1 import api_pb2 as skill_api
from stigmer.workflowexecution.v1 import api_pb2 as wex_api
from stigmer_server import kinds
from stigmer_server.dependencies import Dependencies
from stigmer_server.errors import Aborted, AlreadyExists, FailedPrecondition, InvalidArgument
from stigmer_server.execution.starter import OrchestratorUnavailable
from stigmer_server.pipeline import RequestContext
from stigmer_server.pipeline.steps.build_state import BuildCreatedState, BuildUpdatedState
from stigmer_server.pipeline.steps.duplicates import CheckSlugFree
from stigmer_server.pipeline.steps.load import CheckVersion
from stigmer_server.pipeline.steps.normalize import NormalizeMetadata, slugify
from stigmer_server.pipeline.steps.persist import CheckNoChildren, Persist
from stigmer_server.pipeline.steps.prepare import PrepareResource
from stigmer_server.pipeline.steps.validate import ValidateResource
from stigmer_server.repository import Repository
from stigmer_server.store import ResourceStore


@pytest.fixture
async def deps(tmp_path: Path) -> AsyncIterator[Dependencies]:
    store = ResourceStore(tmp_path)
    store.open()
    yield Dependencies(repository=Repository(store), starter=OrchestratorUnavailable("test"))
    store.close()


def skill(name: str = "My Skill", **meta: object) -> skill_api.Skill:
    s = skill_api.Skill(spec=skill_api.SkillSpec(markdown_content="# hi"))
    s.metadata.name = name
    for key, value in meta.items():
        setattr(s.metadata, key, value)
    return s


def ctx_for(
    resource: object, operation: str = "create", kind: kinds.KindDescriptor = kinds.SKILL
) -> RequestContext:
    return RequestContext(kind=kind, operation=operation, request=resource, resource=resource)  # type: ignore[arg-type]


async def test_prepare_drops_client_status_and_names_executions(deps: Dependencies) -> None:
    sent = wex_api.WorkflowExecution(spec=wex_api.WorkflowExecutionSpec(workflow_id="wfl-x"))
    sent.status.phase = phase_pb2.COMPLETED
    ctx = RequestContext(kind=kinds.WORKFLOW_EXECUTION, operation="create", request=sent)
    await PrepareResource(deps).run(ctx)
    built = ctx.require_resource()
    assert not built.HasField("status")
    assert built.metadata.name.startswith("wex-")  # type: ignore[attr-defined]
    assert sent.status.phase == phase_pb2.COMPLETED  # the request itself is untouched


async def test_validate_names_the_field() -> None:
    with pytest.raises(InvalidArgument) as caught:
        await ValidateResource().run(ctx_for(skill(name="")))
    assert caught.value.field == "metadata.name"


async def test_normalize_fills_header_org_and_slug(deps: Dependencies) -> None:
    resource = skill("Hello, World!")
    await NormalizeMetadata(deps).run(ctx_for(resource))
    assert (resource.api_version, resource.kind) == ("stigmer.ai/v1", "Skill")
    assert (resource.metadata.org, resource.metadata.slug) == ("local", "hello-world")


async def test_normalize_rejects_names_without_letters(deps: Dependencies) -> None:
    with pytest.raises(InvalidArgument, match=r"metadata\.name"):
        await NormalizeMetadata(deps).run(ctx_for(skill("!!!")))


def test_slugify() -> None:
    assert slugify("  Über  Flow_2 ") == "ber-flow-2"
    assert len(slugify("x" * 100)) == 63


async def test_build_created_state_sets_id_version_audit(deps: Dependencies) -> None:
    resource = wex_api.WorkflowExecution()
    ctx = ctx_for(resource, kind=kinds.WORKFLOW_EXECUTION)
    ctx.caller = "api-key:abc"
    await BuildCreatedState(deps).run(ctx)
    assert resource.metadata.id.startswith("wex-") and len(resource.metadata.id) == 30
    assert resource.metadata.version == 1
    assert resource.status.phase == phase_pb2.PENDING
    assert resource.status.audit.created_by == "api-key:abc"


async def test_slug_check_and_persist(deps: Dependencies) -> None:
    first = skill(org="local", slug="s")
    ctx = ctx_for(first)
    await BuildCreatedState(deps).run(ctx)
    await Persist(deps).run(ctx)
    with pytest.raises(AlreadyExists) as caught:
        await CheckSlugFree(deps).run(ctx_for(skill(org="local", slug="s")))
    assert caught.value.field == "metadata.slug"
    # the holder itself may keep its slug on update
    own = ctx_for(skill(org="local", slug="s"), operation="update")
    own.existing = first
    await CheckSlugFree(deps).run(own)


async def test_build_updated_state_keeps_status_and_bumps_version(deps: Dependencies) -> None:
    stored = skill(id="skl-1", version=4)
    stored.status.audit.created_by = "alice"
    incoming = skill(name="renamed")
    incoming.status.audit.created_by = "mallory"
    ctx = ctx_for(incoming, operation="update")
    ctx.existing = stored
    await BuildUpdatedState(deps).run(ctx)
    assert (incoming.metadata.id, incoming.metadata.version) == ("skl-1", 5)
    assert incoming.status.audit.created_by == "alice"


async def test_check_version_rejects_stale_writes() -> None:
    ctx = ctx_for(skill(version=2), operation="update")
    ctx.existing = skill(version=3)
    with pytest.raises(Aborted, match=r"metadata\.version"):
        await CheckVersion().run(ctx)


async def test_delete_refused_while_children_exist(deps: Dependencies) -> None:
    from stigmer.workflowinstance.v1 import api_pb2 as win_api

    instance = win_api.WorkflowInstance(spec=win_api.WorkflowInstanceSpec(workflow_id="wfl-1"))
    instance.metadata.org = "local"
    ctx = ctx_for(instance, kind=kinds.WORKFLOW_INSTANCE)
    await BuildCreatedState(deps).run(ctx)
    await Persist(deps).run(ctx)
    from stigmer.workflow.v1 import api_pb2 as wf_api

    workflow = wf_api.Workflow()
    workflow.metadata.id = "wfl-1"
    with pytest.raises(FailedPrecondition, match="WorkflowInstance"):
        await CheckNoChildren(deps).run(ctx_for(workflow, operation="delete", kind=kinds.WORKFLOW))
