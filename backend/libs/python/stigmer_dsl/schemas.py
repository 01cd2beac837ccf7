"""JSON Schema checks of the data flow (``input.schema``, ``output.schema``, ``export.schema``).

Only inline schemas (``document``) are supported: fetching a ``resource`` would
be I/O in workflow code, so the loader rejects it with a clear message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from temporalio import workflow

from stigmer_dsl.errors import WorkflowError

with workflow.unsafe.imports_passed_through():
    import jsonschema


def validate(data: Any, schema: Mapping[str, Any] | None, *, where: str) -> None:
    """Validate ``data`` against a DSL ``schema`` object; no-op when ``schema`` is None.

    Raises:
        WorkflowError: a ``validation`` error naming the failing path and rule.
    """
    if not schema:
        return
    document = schema.get("document")
    if document is None:
        raise WorkflowError.configuration(f"{where}: only inline schema documents are supported")
    validator = jsonschema.Draft202012Validator(document)
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        path = "/".join(str(p) for p in error.absolute_path)
        raise WorkflowError.validation(f"{where}: at '/{path}': {error.message}")
