"""The bad-input corpus: each request gets the right code and field, and the store
(every key and value, indexes included) is byte-for-byte unchanged afterwards."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import pytest
from api_client import field_of, stubs
from google.protobuf import json_format
from samples import WORKFLOW_SPEC, create, sample
from stigmer.commons.v1 import io_pb2, kind_pb2, metadata_pb2
from stigmer.workflow.v1 import api_pb2 as wf
from stigmer.workflowexecution.v1 import api_pb2 as wex
from stigmer.workflowexecution.v1 import io_pb2 as wex_io
from stigmer.workflowinstance.v1 import api_pb2 as win
from stigmer_server import kinds

Call = Callable[[grpc.aio.Channel, dict[str, Any]], Awaitable[Any]]


def workflow(**changes: Any) -> wf.Workflow:
    data: dict[str, Any] = {
        "metadata": {"name": "bad-input"},
        "spec": json_format.MessageToDict(
            json_format.ParseDict(WORKFLOW_SPEC, wf.WorkflowSpec()),
            preserving_proto_field_name=True,
        ),
    }
    for path, value in changes.items():
        target: Any = data
        *parents, leaf = path.split("__")
        for p in parents:
            target = target[int(p)] if p.isdigit() else target[p]
        if value is None:
            del target[leaf]
        else:
            target[leaf] = value
    return json_format.ParseDict(data, wf.Workflow())


def create_workflow(**changes: Any) -> Call:
    async def call(channel: grpc.aio.Channel, ctx: dict[str, Any]) -> Any:
        return await stubs(channel, kinds.WORKFLOW).command.Create(workflow(**changes))

    return call


async def apply_over_existing_with_bad_flow(channel: grpc.aio.Channel, ctx: dict[str, Any]) -> Any:
    # Apply on an existing slug is an update: the engine's checks run there too.
    request = workflow(metadata__name=ctx["existing"].metadata.name)
    request.spec.tasks[1].flow.then = "nowhere"
    return await stubs(channel, kinds.WORKFLOW).command.Apply(request)


async def unknown_task_kind(channel: grpc.aio.Channel, ctx: dict[str, Any]) -> Any:
    request = workflow()
    request.spec.tasks[0].kind = 42  # type: ignore[assignment]  # not a WorkflowTaskKind
    return await stubs(channel, kinds.WORKFLOW).command.Create(request)


async def duplicate_slug(channel: grpc.aio.Channel, ctx: dict[str, Any]) -> Any:
    return await stubs(channel, kinds.WORKFLOW).command.Create(
        workflow(metadata__name=ctx["existing"].metadata.name)
    )


async def oversize(channel: grpc.aio.Channel, ctx: dict[str, Any]) -> Any:
    return await stubs(channel, kinds.WORKFLOW).command.Create(
        workflow(spec__description="x" * (5 * 1024 * 1024))
    )


async def instance_of_missing_workflow(channel: grpc.aio.Channel, ctx: dict[str, Any]) -> Any:
    request = win.WorkflowInstance(
        spec=win.WorkflowInstanceSpec(workflow_id="wfl-01jzzzzzzzzzzzzzzzzzzzzzzz")
    )
    request.metadata.name = "orphan"
    return await stubs(channel, kinds.WORKFLOW_INSTANCE).command.Create(request)


async def instance_of_wrong_kind_id(channel: grpc.aio.Channel, ctx: dict[str, Any]) -> Any:
    request = win.WorkflowInstance(
        spec=win.WorkflowInstanceSpec(
            workflow_id=ctx["existing"].status.audit.created_by or "agt-1"
        )
    )
    request.metadata.name = "wrong"
    return await stubs(channel, kinds.WORKFLOW_INSTANCE).command.Create(request)


async def agent_with_missing_skill(channel: grpc.aio.Channel, ctx: dict[str, Any]) -> Any:
    agent = await sample(channel, kinds.AGENT)
    agent.spec.skill_refs.add(slug="no-such-skill", kind=kind_pb2.SKILL)
    return await stubs(channel, kinds.AGENT).command.Create(agent)


async def agent_with_negative_cost_cap(channel: grpc.aio.Channel, ctx: dict[str, Any]) -> Any:
    agent = await sample(channel, kinds.AGENT)
    agent.spec.limits.max_cost_usd = -1.0
    agent.spec.limits.input_token_price_usd = 3.0
    return await stubs(channel, kinds.AGENT).command.Apply(agent)


async def agent_with_cost_cap_without_prices(channel: grpc.aio.Channel, ctx: dict[str, Any]) -> Any:
    agent = await sample(channel, kinds.AGENT)
    agent.spec.limits.max_cost_usd = 0.5
    return await stubs(channel, kinds.AGENT).command.Apply(agent)


async def execution_without_target(channel: grpc.aio.Channel, ctx: dict[str, Any]) -> Any:
    return await stubs(channel, kinds.WORKFLOW_EXECUTION).command.Create(wex.WorkflowExecution())


async def execution_of_missing_instance(channel: grpc.aio.Channel, ctx: dict[str, Any]) -> Any:
    request = wex.WorkflowExecution(spec=wex.WorkflowExecutionSpec(workflow_instance_id="win-nope"))
    return await stubs(channel, kinds.WORKFLOW_EXECUTION).command.Create(request)


def _execution_with_input_number(number: float) -> Call:
    """An execution whose input holds ``number`` deep inside (JSON has no NaN/Infinity)."""

    async def call(channel: grpc.aio.Channel, ctx: dict[str, Any]) -> Any:
        request = wex.WorkflowExecution(metadata=metadata_pb2.ApiResourceMetadata(name="nan"))
        request.spec.CopyFrom(ctx["execution"].spec)  # a valid target: only the input is bad
        request.spec.input.update({"order": {"lines": [1, number]}})
        return await stubs(channel, kinds.WORKFLOW_EXECUTION).command.Create(request)

    return call


async def reference_of_other_kind(channel: grpc.aio.Channel, ctx: dict[str, Any]) -> Any:
    ref = metadata_pb2.ApiResourceReference(slug=ctx["existing"].metadata.slug, kind=kind_pb2.AGENT)
    return await stubs(channel, kinds.WORKFLOW).query.GetByReference(ref)


async def reference_without_kind(channel: grpc.aio.Channel, ctx: dict[str, Any]) -> Any:
    return await stubs(channel, kinds.WORKFLOW).query.GetByReference(
        metadata_pb2.ApiResourceReference(slug="x")
    )


async def forged_page_token(channel: grpc.aio.Channel, ctx: dict[str, Any]) -> Any:
    return await stubs(channel, kinds.WORKFLOW).query.List(
        io_pb2.ApiResourceListInput(page_token="not-a-token")
    )


async def page_too_large(channel: grpc.aio.Channel, ctx: dict[str, Any]) -> Any:
    return await stubs(channel, kinds.WORKFLOW).query.List(
        io_pb2.ApiResourceListInput(page_size=501)
    )


async def update_unknown_id(channel: grpc.aio.Channel, ctx: dict[str, Any]) -> Any:
    request = workflow(metadata__name="ghost")
    request.metadata.id = "wfl-01jzzzzzzzzzzzzzzzzzzzzzzz"
    return await stubs(channel, kinds.WORKFLOW).command.Update(request)


async def update_without_id(channel: grpc.aio.Channel, ctx: dict[str, Any]) -> Any:
    return await stubs(channel, kinds.WORKFLOW).command.Update(workflow())


async def update_stale_version(channel: grpc.aio.Channel, ctx: dict[str, Any]) -> Any:
    request = wf.Workflow()
    request.CopyFrom(ctx["existing"])
    request.metadata.version = 99
    return await stubs(channel, kinds.WORKFLOW).command.Update(request)


async def delete_workflow_with_instances(channel: grpc.aio.Channel, ctx: dict[str, Any]) -> Any:
    return await stubs(channel, kinds.WORKFLOW).command.Delete(
        io_pb2.ApiResourceId(value=ctx["parent"].metadata.id)
    )


async def delete_without_id(channel: grpc.aio.Channel, ctx: dict[str, Any]) -> Any:
    return await stubs(channel, kinds.WORKFLOW).command.Delete(io_pb2.ApiResourceId())


async def status_of_missing_execution(channel: grpc.aio.Channel, ctx: dict[str, Any]) -> Any:
    return await stubs(channel, kinds.WORKFLOW_EXECUTION).command.UpdateStatus(
        wex_io.WorkflowExecutionUpdateStatusInput(
            execution_id="wex-nope", status=wex.WorkflowExecutionStatus()
        )
    )


async def status_without_status(channel: grpc.aio.Channel, ctx: dict[str, Any]) -> Any:
    return await stubs(channel, kinds.WORKFLOW_EXECUTION).command.UpdateStatus(
        wex_io.WorkflowExecutionUpdateStatusInput(execution_id=ctx["execution"].metadata.id)
    )


async def garbage_bytes(channel: grpc.aio.Channel, ctx: dict[str, Any]) -> Any:
    # Not a Workflow at all on the wire (wrong wire types for its fields).
    raw = channel.unary_unary(
        "/stigmer.workflow.v1.WorkflowCommandController/Create",
        request_serializer=lambda b: b,
        response_deserializer=lambda b: b,
    )
    return await raw(b"\x1a\x05\xff\xff\xff\xff\xff")


INVALID = grpc.StatusCode.INVALID_ARGUMENT
CORPUS: list[tuple[str, Call, grpc.StatusCode, str]] = [
    ("missing metadata", create_workflow(metadata=None), INVALID, "metadata"),
    ("missing name", create_workflow(metadata__name=""), INVALID, "metadata.name"),
    ("bad slug", create_workflow(metadata__slug="Not A Slug"), INVALID, "metadata.slug"),
    ("unknown resource kind", create_workflow(kind="Agent"), INVALID, "kind"),
    ("wrong api version", create_workflow(api_version="v0"), INVALID, "api_version"),
    ("missing spec", create_workflow(spec=None), INVALID, "spec"),
    ("no tasks", create_workflow(spec__tasks=[]), INVALID, "spec.tasks"),
    ("missing task name", create_workflow(spec__tasks__0__name=""), INVALID, "spec.tasks[0].name"),
    ("unknown task kind", unknown_task_kind, INVALID, "spec.tasks[0].kind"),
    (
        "bad http method",
        create_workflow(spec__tasks__1__task_config__method="FETCH"),
        INVALID,
        "spec.tasks[1].task_config.method",
    ),
    (
        "missing endpoint",
        create_workflow(spec__tasks__1__task_config__endpoint=None),
        INVALID,
        "spec.tasks[1].task_config.endpoint",
    ),
    (
        "unknown config key",
        create_workflow(spec__tasks__1__task_config__url="x"),
        INVALID,
        "spec.tasks[1].task_config.url",
    ),
    (
        "wrong config type",
        create_workflow(spec__tasks__1__task_config__timeout_seconds="soon"),
        INVALID,
        "spec.tasks[1].task_config.timeout_seconds",
    ),
    (
        "duplicate task name",
        create_workflow(spec__tasks__1__name="greet"),
        INVALID,
        "spec.tasks[1].name",
    ),
    ("bad dsl version", create_workflow(spec__document__dsl="0.8"), INVALID, "spec.document.dsl"),
    (
        "wrong type in a DSL field of the spec",
        create_workflow(spec__tasks__1__task_config__redirect="sometimes"),
        INVALID,
        "spec.tasks[1].task_config.redirect",
    ),
    (
        "config of another kind (EMIT with SET's variables)",
        create_workflow(spec__tasks__0__kind="EMIT"),
        INVALID,
        "spec.tasks[0].task_config.variables",
    ),
    # The engine's own definition checks (the DSL library's loader) at Create.
    (
        "flow target the engine cannot find",
        create_workflow(spec__tasks__0__flow={"then": "nowhere"}),
        INVALID,
        "spec.tasks[0].flow.then",
    ),
    (
        "jq expression the engine cannot compile",
        create_workflow(spec__tasks__0__task_config__variables={"greeting": "${ .a | }"}),
        INVALID,
        "spec.tasks[0].task_config",
    ),
    (
        "condition the engine cannot compile",
        create_workflow(spec__tasks__1__condition="${ ]] }"),
        INVALID,
        "spec.tasks[1].condition",
    ),
    (
        "apply with a flow target the engine cannot find",
        apply_over_existing_with_bad_flow,
        INVALID,
        "spec.tasks[1].flow.then",
    ),
    ("duplicate slug", duplicate_slug, grpc.StatusCode.ALREADY_EXISTS, "metadata.slug"),
    ("oversize message", oversize, grpc.StatusCode.RESOURCE_EXHAUSTED, ""),
    ("garbage on the wire", garbage_bytes, INVALID, ""),
    (
        "instance of missing workflow",
        instance_of_missing_workflow,
        grpc.StatusCode.NOT_FOUND,
        "spec.workflow_id",
    ),
    ("instance of another kind's id", instance_of_wrong_kind_id, INVALID, "spec.workflow_id"),
    (
        "agent with a missing skill",
        agent_with_missing_skill,
        grpc.StatusCode.NOT_FOUND,
        "spec.skill_refs[0].slug",
    ),
    (
        "agent with a negative cost cap",
        agent_with_negative_cost_cap,
        INVALID,
        "spec.limits.max_cost_usd",
    ),
    (
        "agent with a cost cap but no token prices",
        agent_with_cost_cap_without_prices,
        INVALID,
        "spec.limits.max_cost_usd",
    ),
    ("execution without target", execution_without_target, INVALID, "spec"),
    (
        "execution of missing instance",
        execution_of_missing_instance,
        grpc.StatusCode.NOT_FOUND,
        "spec.workflow_instance_id",
    ),
    (
        "execution input with NaN",
        _execution_with_input_number(float("nan")),
        INVALID,
        "spec.input.order.lines[1]",
    ),
    (
        "execution input with Infinity",
        _execution_with_input_number(float("-inf")),
        INVALID,
        "spec.input.order.lines[1]",
    ),
    ("reference of another kind", reference_of_other_kind, INVALID, "kind"),
    ("reference without kind", reference_without_kind, INVALID, "kind"),
    ("forged page token", forged_page_token, INVALID, "page_token"),
    ("page too large", page_too_large, INVALID, "page_size"),
    ("update unknown id", update_unknown_id, grpc.StatusCode.NOT_FOUND, "metadata.id"),
    ("update without id", update_without_id, INVALID, "metadata.id"),
    ("update stale version", update_stale_version, grpc.StatusCode.ABORTED, "metadata.version"),
    (
        "delete parent with children",
        delete_workflow_with_instances,
        grpc.StatusCode.FAILED_PRECONDITION,
        "value",
    ),
    ("delete without id", delete_without_id, INVALID, "value"),
    (
        "status of missing execution",
        status_of_missing_execution,
        grpc.StatusCode.NOT_FOUND,
        "execution_id",
    ),
    ("status without status", status_without_status, INVALID, "status"),
]


@pytest.mark.parametrize(("case", "call", "code", "field"), CORPUS, ids=[c[0] for c in CORPUS])
async def test_rejected_and_store_unchanged(
    channel: grpc.aio.Channel,
    store_digest: Callable[[], str],
    case: str,
    call: Call,
    code: grpc.StatusCode,
    field: str,
) -> None:
    existing = await stubs(channel, kinds.WORKFLOW).command.Create(
        workflow(metadata__name="existing")
    )
    instance = await create(channel, kinds.WORKFLOW_INSTANCE)
    parent = await stubs(channel, kinds.WORKFLOW).query.Get(
        io_pb2.ApiResourceId(value=instance.spec.workflow_id)
    )
    execution = await stubs(channel, kinds.WORKFLOW_EXECUTION).command.Create(
        await sample(channel, kinds.WORKFLOW_EXECUTION)
    )
    existing.status.audit.created_by = instance.metadata.id.replace("win-", "agt-")
    ctx = {"existing": existing, "parent": parent, "execution": execution}
    before = store_digest()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(channel, ctx)
    assert caught.value.code() == code, caught.value.details()
    assert field_of(caught.value) == field, caught.value.details()
    if field:
        assert (caught.value.details() or "").startswith(f"{field}: ")
    assert store_digest() == before
