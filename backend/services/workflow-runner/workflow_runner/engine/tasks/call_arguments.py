"""Reading the evaluated ``with`` block of call tasks, with errors naming the field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stigmer_dsl.errors import WorkflowError
from stigmer_dsl.expressions import is_strict_expression
from stigmer_dsl.model import TaskDefinition

from workflow_runner.engine.context import TaskContext
from workflow_runner.engine.tasks.uri_template import expand


def with_block(task: TaskDefinition) -> Mapping[str, Any]:
    """The task's ``with`` mapping (the loader checked it is one when present)."""
    block = task.body.get("with") or {}
    if not isinstance(block, Mapping):
        raise WorkflowError.configuration(f"task {task.name!r}: 'with' must be an object")
    return block


def mapping_field(value: Any, field_name: str) -> dict[str, Any]:
    """An evaluated field that must be an object (``None`` -> empty)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise WorkflowError.configuration(f"{field_name} must be an object")
    return dict(value)


def string_field(value: Any, field_name: str, *, required: bool = True) -> str:
    """An evaluated field that must be a non-empty string."""
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value:
        raise WorkflowError.configuration(f"{field_name} must be a non-empty string")
    return value


def bool_field(value: Any, field_name: str, default: bool) -> bool:
    """An evaluated boolean field with a default."""
    if value is None:
        return default
    if not isinstance(value, bool):
        raise WorkflowError.configuration(f"{field_name} must be a boolean")
    return value


def endpoint(
    ctx: TaskContext, raw: Any, *, field_name: str, templated: bool = True
) -> tuple[str, Any]:
    """The URI and authentication spec of an ``endpoint`` (string or object).

    A ``${ }`` URI is evaluated as an expression; any other URI is a URI
    template expanded from the task input (when ``templated``).
    """
    authentication: Any = None
    uri_field = field_name
    if isinstance(raw, Mapping):
        authentication = raw.get("authentication")
        raw = raw.get("uri")
        uri_field = f"{field_name}.uri"
    if not isinstance(raw, str) or not raw:
        raise WorkflowError.configuration(f"{uri_field} must be a non-empty URI string")
    if is_strict_expression(raw):
        uri = ctx.evaluate_expression(raw, field_name=uri_field.replace(".", "/"))
        if not isinstance(uri, str) or not uri:
            raise WorkflowError.expression(f"{uri_field} must evaluate to a non-empty string")
        return uri, authentication
    if templated:
        return expand(raw, ctx.task_input, field_name=uri_field), authentication
    return raw, authentication
