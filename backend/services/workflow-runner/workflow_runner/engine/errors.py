"""DSL errors across Temporal boundaries.

A :class:`~stigmer_dsl.errors.WorkflowError` leaves a workflow or activity as a
Temporal :class:`~temporalio.exceptions.ApplicationError` carrying its
problem-details dict, and comes back from an activity, child workflow or
timeout failure as a ``WorkflowError`` again. The error type itself lives in
the DSL library (no Temporal dependency); the conversions live here, with the
engine.
"""

from __future__ import annotations

from collections.abc import Mapping

from stigmer_dsl.errors import WorkflowError, standard_kind
from temporalio.exceptions import ActivityError, ApplicationError, FailureError
from temporalio.exceptions import TimeoutError as TemporalTimeout


def to_application_error(error: WorkflowError) -> ApplicationError:
    """The Temporal failure that carries ``error`` out of a workflow or activity."""
    return ApplicationError(
        error.title or error.type,
        error.to_dict(),
        type=error.kind or error.type,
        non_retryable=True,
    )


def error_from_failure(failure: BaseException, *, instance: str | None = None) -> WorkflowError:
    """Convert a Temporal failure (activity, child workflow, application) into an error.

    Application errors carrying a problem-details dict keep it; other
    failures become ``runtime`` errors, and Temporal timeouts become
    ``timeout`` errors.
    """
    cause: BaseException = failure
    # Activity/child failures wrap the real error in __cause__.
    while isinstance(cause, FailureError) and not isinstance(cause, ApplicationError):
        inner = cause.__cause__
        if inner is None:
            break
        cause = inner
    if isinstance(cause, ApplicationError):
        details = cause.details[0] if cause.details else None
        if isinstance(details, Mapping) and ("type" in details or "status" in details):
            err = WorkflowError.from_dict(
                details, default_kind=standard_kind(cause.type or "") or "runtime"
            )
        else:
            kind = standard_kind(cause.type or "") or "runtime"
            err = WorkflowError.standard(kind, cause.message or str(cause))
    elif _is_timeout(cause):
        err = WorkflowError.timeout(str(cause) or "timed out")
    else:
        err = WorkflowError.runtime(str(cause) or type(cause).__name__)
    if instance is not None:
        err.with_instance(instance)
    return err


def _is_timeout(error: BaseException) -> bool:
    return isinstance(error, TemporalTimeout) or (
        isinstance(error, ActivityError) and isinstance(error.__cause__, TemporalTimeout)
    )
