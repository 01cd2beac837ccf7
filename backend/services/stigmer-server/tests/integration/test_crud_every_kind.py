"""Create / get / getByReference / update / apply / list / delete for every kind."""

from __future__ import annotations

import grpc
import pytest
from api_client import field_of, stubs
from samples import sample
from stigmer.commons.v1 import io_pb2, metadata_pb2
from stigmer.workflowexecution.v1 import io_pb2 as wex_io
from stigmer_server import kinds
from stigmer_server.kinds import KindDescriptor


@pytest.mark.parametrize("kind", kinds.ALL_KINDS, ids=lambda k: k.space)
async def test_crud(channel: grpc.aio.Channel, kind: KindDescriptor) -> None:
    api = stubs(channel, kind)
    resource = await sample(channel, kind)
    resource.status.audit.created_by = "client-forged"

    created = await api.command.Create(resource)
    rid = created.metadata.id
    assert rid.startswith(f"{kind.id_prefix}-")
    assert (created.api_version, created.kind) == ("stigmer.ai/v1", kind.kind_name)
    assert created.metadata.version == 1
    assert created.status.audit.created_by == "local"  # zero-config identity; client status ignored

    assert await api.query.Get(io_pb2.ApiResourceId(value=rid)) == created
    reference = metadata_pb2.ApiResourceReference(slug=created.metadata.slug, kind=kind.kind)  # type: ignore[arg-type]
    assert (await api.query.GetByReference(reference)).metadata.id == rid

    created.metadata.labels["team"] = "core"
    updated = await api.command.Update(created)
    assert updated.metadata.version == 2
    assert updated.metadata.labels["team"] == "core"
    assert updated.status.audit.created_at == created.status.audit.created_at

    applied = await api.command.Apply(updated)  # same slug: an update, not a new resource
    assert (applied.metadata.id, applied.metadata.version) == (rid, 3)

    listed = await api.query.List(io_pb2.ApiResourceListInput(page_size=500))
    assert rid in [item.metadata.id for item in listed.items]

    if kind is kinds.WORKFLOW_EXECUTION:  # deleted only once ended (it is PENDING here)
        await api.command.Cancel(wex_io.WorkflowExecutionControlInput(execution_id=rid))
    deleted = await api.command.Delete(io_pb2.ApiResourceId(value=rid))
    assert deleted.metadata.id == rid
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await api.query.Get(io_pb2.ApiResourceId(value=rid))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert field_of(caught.value) == "value"


async def test_apply_creates_when_the_slug_is_new(channel: grpc.aio.Channel) -> None:
    api = stubs(channel, kinds.SKILL)
    resource = await sample(channel, kinds.SKILL, name="Apply Me")
    first = await api.command.Apply(resource)
    second = await api.command.Apply(resource)
    assert first.metadata.version == 1
    assert (second.metadata.id, second.metadata.version) == (first.metadata.id, 2)


async def test_list_pages_in_creation_order(channel: grpc.aio.Channel) -> None:
    api = stubs(channel, kinds.ENVIRONMENT)
    ids = [
        (await api.command.Create(await sample(channel, kinds.ENVIRONMENT))).metadata.id
        for _ in range(7)
    ]
    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        page = await api.query.List(io_pb2.ApiResourceListInput(page_size=3, page_token=token))
        seen += [item.metadata.id for item in page.items]
        pages += 1
        token = page.next_page_token
        if not token:
            break
    assert seen == ids
    assert pages == 3


async def test_list_by_org_and_parent(channel: grpc.aio.Channel) -> None:
    workflows = stubs(channel, kinds.WORKFLOW)
    executions = stubs(channel, kinds.WORKFLOW_EXECUTION)
    workflow = await workflows.command.Create(await sample(channel, kinds.WORKFLOW))
    other = await sample(channel, kinds.WORKFLOW_EXECUTION)  # its own workflow
    await executions.command.Create(other)
    mine = []
    for _ in range(2):
        execution = await sample(channel, kinds.WORKFLOW_EXECUTION)
        execution.spec.workflow_id = workflow.metadata.id
        mine.append((await executions.command.Create(execution)).metadata.id)
    page = await executions.query.List(io_pb2.ApiResourceListInput(parent_id=workflow.metadata.id))
    assert [i.metadata.id for i in page.items] == mine
    nothing = await executions.query.List(io_pb2.ApiResourceListInput(org="elsewhere"))
    assert list(nothing.items) == []
