"""``emit``: build a CloudEvent, publish it through the event bus; the output is the event.

``id`` (``workflow.uuid4()``) and ``time`` (``workflow.now()``) are generated
deterministically when the definition leaves them out, ``specversion`` is
``1.0`` and ``datacontenttype`` defaults to ``application/json`` when there is
data. A missing ``source`` defaults to ``urn:stigmer:workflow:<namespace>:<name>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stigmer_dsl.errors import WorkflowError
from stigmer_dsl.model import TaskDefinition
from temporalio import workflow

from workflow_runner.engine.context import TaskContext


async def run(ctx: TaskContext, task: TaskDefinition, task_input: Any) -> Any:
    attributes = ctx.evaluate(
        task.body["emit"]["event"].get("with") or {}, field_name="emit/event/with"
    )
    if not isinstance(attributes, Mapping):
        raise WorkflowError.configuration("emit.event.with must evaluate to an object")
    document = ctx.definition.document
    event: dict[str, Any] = {
        "specversion": "1.0",
        "id": str(workflow.uuid4()),
        "source": f"urn:stigmer:workflow:{document['namespace']}:{document['name']}",
        "time": workflow.now().isoformat().replace("+00:00", "Z"),
    }
    event.update(attributes)
    if not event.get("type"):
        raise WorkflowError.validation("emit.event.with.type is required")
    if "data" in event and "datacontenttype" not in event:
        event["datacontenttype"] = "application/json"
    await ctx.state.hooks.event_bus.publish(event)
    return event
