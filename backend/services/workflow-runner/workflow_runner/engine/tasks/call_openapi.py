"""``call: openapi``: the activity fetches the document and calls the operation."""

from __future__ import annotations

from typing import Any

from stigmer_dsl.errors import WorkflowError
from stigmer_dsl.model import TaskDefinition

from workflow_runner.activities import names
from workflow_runner.activities.http_models import HttpCallOutput, OpenApiCallInput
from workflow_runner.engine.context import TaskContext
from workflow_runner.engine.tasks.call_arguments import (
    bool_field,
    endpoint,
    mapping_field,
    string_field,
    with_block,
)
from workflow_runner.engine.tasks.call_authentication import resolve_authentication
from workflow_runner.engine.tasks.call_http import (
    HTTP_ACTIVITY_TIMEOUT,
    HTTP_HEARTBEAT_TIMEOUT,
    output_mode,
)


async def run(ctx: TaskContext, task: TaskDefinition, task_input: Any) -> Any:
    block = with_block(task)
    document = block.get("document")
    if not isinstance(document, dict):
        raise WorkflowError.configuration("with.document must be an external resource object")
    document_uri, document_auth = endpoint(
        ctx, document.get("endpoint"), field_name="with.document.endpoint", templated=False
    )
    rest = {k: v for k, v in block.items() if k not in ("document", "authentication")}
    args = ctx.evaluate(rest, field_name="with")
    call = OpenApiCallInput(
        document_uri=document_uri,
        operation_id=string_field(args.get("operationId"), "with.operationId"),
        parameters=mapping_field(args.get("parameters"), "with.parameters"),
        output=output_mode(args.get("output"), "with.output"),
        redirect=bool_field(args.get("redirect"), "with.redirect", False),
        authentication=resolve_authentication(
            ctx, block.get("authentication"), field_name="with.authentication"
        ),
        document_authentication=resolve_authentication(
            ctx, document_auth, field_name="with.document.endpoint.authentication"
        ),
    )
    result: HttpCallOutput = await ctx.execute_activity(
        names.CALL_OPENAPI,
        call,
        start_to_close_timeout=HTTP_ACTIVITY_TIMEOUT,
        heartbeat_timeout=HTTP_HEARTBEAT_TIMEOUT,
        result_type=HttpCallOutput,
    )
    return result.value
