"""``call: http``: evaluate the call's arguments, run the HTTP activity, return its output.

The activity shapes the output (``content``, ``response`` or ``raw``) so only
what the task outputs is recorded in history.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

from stigmer_dsl.errors import WorkflowError
from stigmer_dsl.model import TaskDefinition

from workflow_runner.activities import names
from workflow_runner.activities.http_models import OUTPUT_MODES, HttpCallInput, HttpCallOutput
from workflow_runner.engine.context import TaskContext
from workflow_runner.engine.tasks.call_arguments import (
    bool_field,
    endpoint,
    mapping_field,
    string_field,
    with_block,
)
from workflow_runner.engine.tasks.call_authentication import resolve_authentication

#: Covers the activity's own network timeout (60 s) plus an OAuth2 token request.
HTTP_ACTIVITY_TIMEOUT: Final = timedelta(minutes=3)
#: The activity heartbeats while it waits for the answer: a cancelled task's
#: request is abandoned within ~8 s, a lost worker noticed within 10 s.
HTTP_HEARTBEAT_TIMEOUT: Final = timedelta(seconds=10)


def output_mode(value: Any, field_name: str) -> str:
    """The ``output`` field, defaulting to ``content``."""
    if value is None:
        return "content"
    if value not in OUTPUT_MODES:
        raise WorkflowError.configuration(
            f"{field_name} must be one of {', '.join(OUTPUT_MODES)}, got {value!r}"
        )
    return str(value)


async def run(ctx: TaskContext, task: TaskDefinition, task_input: Any) -> Any:
    block = with_block(task)
    uri, auth_spec = endpoint(ctx, block.get("endpoint"), field_name="with.endpoint")
    rest = {k: v for k, v in block.items() if k != "endpoint"}
    args = ctx.evaluate(rest, field_name="with")
    call = HttpCallInput(
        method=string_field(args.get("method"), "with.method"),
        uri=uri,
        headers=mapping_field(args.get("headers"), "with.headers"),
        query=mapping_field(args.get("query"), "with.query"),
        body=args.get("body"),
        output=output_mode(args.get("output"), "with.output"),
        redirect=bool_field(args.get("redirect"), "with.redirect", False),
        authentication=resolve_authentication(
            ctx, auth_spec, field_name="with.endpoint.authentication"
        ),
    )
    result: HttpCallOutput = await ctx.execute_activity(
        names.CALL_HTTP,
        call,
        start_to_close_timeout=HTTP_ACTIVITY_TIMEOUT,
        heartbeat_timeout=HTTP_HEARTBEAT_TIMEOUT,
        result_type=HttpCallOutput,
    )
    return result.value
