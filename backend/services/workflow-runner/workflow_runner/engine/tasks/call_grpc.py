"""``call: grpc``: the activity compiles the proto and makes the unary call."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Final

from stigmer_dsl.errors import WorkflowError
from stigmer_dsl.model import TaskDefinition

from workflow_runner.activities import names
from workflow_runner.activities.grpc_models import GrpcCallInput, GrpcCallOutput
from workflow_runner.engine.context import TaskContext
from workflow_runner.engine.tasks.call_arguments import (
    endpoint,
    mapping_field,
    string_field,
    with_block,
)
from workflow_runner.engine.tasks.call_authentication import resolve_authentication
from workflow_runner.engine.tasks.call_http import HTTP_HEARTBEAT_TIMEOUT

#: Covers the call deadline (60 s) plus a first-time proto compile.
GRPC_ACTIVITY_TIMEOUT: Final = timedelta(minutes=3)


async def run(ctx: TaskContext, task: TaskDefinition, task_input: Any) -> Any:
    block = with_block(task)
    proto = block.get("proto")
    if not isinstance(proto, Mapping):
        raise WorkflowError.configuration("with.proto must be an external resource object")
    proto_uri, _ = endpoint(
        ctx, proto.get("endpoint"), field_name="with.proto.endpoint", templated=False
    )
    service = block.get("service")
    if not isinstance(service, Mapping):
        raise WorkflowError.configuration("with.service must be an object (name, host, port)")
    service_args = ctx.evaluate(
        {k: v for k, v in service.items() if k != "authentication"}, field_name="with/service"
    )
    port = service_args.get("port")
    if port is not None and (not isinstance(port, int) or isinstance(port, bool)):
        raise WorkflowError.configuration("with.service.port must be an integer")
    args = ctx.evaluate({k: block.get(k) for k in ("method", "arguments")}, field_name="with")
    call = GrpcCallInput(
        proto_uri=proto_uri,
        service_name=string_field(service_args.get("name"), "with.service.name"),
        host=string_field(service_args.get("host"), "with.service.host"),
        port=port,
        method=string_field(args.get("method"), "with.method"),
        arguments=mapping_field(args.get("arguments"), "with.arguments"),
        authentication=resolve_authentication(
            ctx, service.get("authentication"), field_name="with.service.authentication"
        ),
    )
    result: GrpcCallOutput = await ctx.execute_activity(
        names.CALL_GRPC,
        call,
        start_to_close_timeout=GRPC_ACTIVITY_TIMEOUT,
        heartbeat_timeout=HTTP_HEARTBEAT_TIMEOUT,
        result_type=GrpcCallOutput,
    )
    return result.value
