"""Problem-details errors raised by the I/O activities.

Contract with the engine: an activity fails with a non-retryable
``ApplicationError(title, details, type=<short error type>)`` whose single detail
is an RFC 7807 dict (``type`` as the full spec URI, ``status``, ``title``,
``detail``). The engine turns it into its ``WorkflowError`` and fills ``instance``
with the task's JSON pointer. Non-retryable because retries belong to the DSL's
``try``/``retry``, whose filters must see every failure.
"""

from __future__ import annotations

from typing import Final, Literal

from stigmer_dsl.errors import STANDARD_STATUS, STANDARD_TYPE_BASE
from temporalio.exceptions import ApplicationError

ErrorType = Literal[
    "configuration",
    "validation",
    "expression",
    "authentication",
    "authorization",
    "timeout",
    "communication",
    "runtime",
]


# Enough of a failing response body to diagnose it without bloating history.
MAX_DETAIL_CHARS: Final = 2000


def problem(
    error_type: ErrorType, title: str, detail: str, status: int | None = None
) -> ApplicationError:
    """Build the non-retryable ``ApplicationError`` the engine expects.

    Args:
        error_type: One of the spec's standard error types (short form).
        title: A short, human-readable summary.
        detail: What happened, naming the field or endpoint involved.
        status: The status that best describes the error; defaults to the
            spec's default for ``error_type``.
    """
    resolved_status = STANDARD_STATUS[error_type] if status is None else status
    details = {
        "type": STANDARD_TYPE_BASE + error_type,
        "status": resolved_status,
        "title": title,
        "detail": detail[:MAX_DETAIL_CHARS],
    }
    return ApplicationError(title, details, type=error_type, non_retryable=True)
