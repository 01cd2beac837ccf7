"""The execution a log line is about: context variables every formatter reads.

A process binds the execution id (and the DSL task name, when one runs) around
the code that works on it; every record logged meanwhile, from any logger,
carries them. Context variables follow asyncio tasks, so two executions served
concurrently by one runner never see each other's ids.

Temporal's own loggers (``workflow.logger``, ``activity.logger``) already attach
the workflow id of the record; :func:`execution_id_in` finds the execution id in
it, so lines logged by workflow code carry it without binding anything (workflow
code must not touch context variables it does not own).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

#: Execution ids as the server mints them: ``{prefix}-{lowercase ULID}``.
EXECUTION_ID = re.compile(r"\b(?:wex|aex)-[0-9a-z]{26}\b")

_execution_id: ContextVar[str | None] = ContextVar("stigmer_execution_id", default=None)
_task_name: ContextVar[str | None] = ContextVar("stigmer_task_name", default=None)


def current_execution_id() -> str | None:
    """The execution id bound in this context, if any."""
    return _execution_id.get()


def current_task_name() -> str | None:
    """The DSL task name bound in this context, if any."""
    return _task_name.get()


@contextmanager
def bound_execution(execution_id: str | None, task_name: str | None = None) -> Iterator[None]:
    """Tag every record logged inside the block with ``execution_id`` (and ``task_name``).

    ``None`` leaves the outer binding as it is (e.g. a task name inside an
    execution already bound).
    """
    tokens = []
    if execution_id:
        tokens.append((_execution_id, _execution_id.set(execution_id)))
    if task_name:
        tokens.append((_task_name, _task_name.set(task_name)))
    try:
        yield
    finally:
        for variable, token in reversed(tokens):
            variable.reset(token)


def execution_id_in(text: str) -> str | None:
    """The first execution id in ``text`` (e.g. a Temporal workflow id), or None."""
    match = EXECUTION_ID.search(text)
    return match.group(0) if match else None
