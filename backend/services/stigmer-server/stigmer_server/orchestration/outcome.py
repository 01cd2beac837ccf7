"""What the orchestration observed, as the execution status to persist.

Pure functions over Temporal exceptions and proto messages, so the workflows
stay short and this mapping is unit-tested without a Temporal server. The
``ExecutionError.code`` values are stable strings a UI can switch on.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from google.protobuf.timestamp_pb2 import Timestamp
from stigmer.agentexecution.v1.api_pb2 import AgentExecutionStatus
from stigmer.commons.v1 import phase_pb2
from stigmer.workflowexecution.v1.api_pb2 import WorkflowExecutionStatus
from stigmer.workflowexecution.v1.contract_temporal import STATUS_REJECTED_ERROR
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError, TimeoutError

ACTIVITY_FAILED = "ACTIVITY_FAILED"
ACTIVITY_TIMEOUT = "ACTIVITY_TIMEOUT"
ACTIVITY_CANCELLED = "ACTIVITY_CANCELLED"
ACTIVITY_ERROR = "ACTIVITY_ERROR"
RUNNER_PROTOCOL_ERROR = "RUNNER_PROTOCOL_ERROR"
EXECUTION_CANCELLED = "EXECUTION_CANCELLED"

# The Temporal error type a local status activity raises when the store refused
# a report for good (execution deleted, or already terminal).
# Declared in the workflow execution contract; agent executions raise the same type.
STATUS_REJECTED_ERROR_TYPE = STATUS_REJECTED_ERROR

TERMINAL_PHASES = frozenset({phase_pb2.COMPLETED, phase_pb2.FAILED, phase_pb2.CANCELLED})

StatusT = TypeVar("StatusT", WorkflowExecutionStatus, AgentExecutionStatus)


def final_status(returned: StatusT, *, activity_name: str, now: datetime) -> StatusT:
    """The status to persist after the runner's last activity returned normally.

    A runner that returns has finished, so an unset phase means COMPLETED; a
    non-terminal phase is a runner bug and is persisted as FAILED rather than
    leaving the execution IN_PROGRESS forever.
    """
    status = type(returned)()
    status.CopyFrom(returned)
    if status.phase == phase_pb2.EXECUTION_PHASE_UNSPECIFIED:
        status.phase = phase_pb2.COMPLETED
    elif status.phase not in TERMINAL_PHASES:
        status.error.CopyFrom(non_terminal_result(activity_name, status.phase))
        status.phase = phase_pb2.FAILED
    if not status.HasField("completed_at"):
        status.completed_at.CopyFrom(timestamp(now))
    return status


def ended_status(
    status_type: type[StatusT],
    phase: phase_pb2.ExecutionPhase.ValueType,
    error: phase_pb2.ExecutionError,
    *,
    now: datetime,
) -> StatusT:
    """A terminal status (FAILED or CANCELLED) carrying ``error``, completed ``now``."""
    status = status_type(phase=phase, completed_at=timestamp(now))
    status.error.CopyFrom(error)
    return status


def timestamp(moment: datetime) -> Timestamp:
    """A proto Timestamp of ``moment`` (pass ``workflow.now()`` from workflow code)."""
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def activity_error(error: ActivityError, *, activity_name: str) -> phase_pb2.ExecutionError:
    """Describe a failed runner activity: the runner's own message, not Temporal's wrapper.

    Args:
        error: What ``execute_activity`` raised.
        activity_name: The contract name of the activity (recorded in details so
            a reader knows which step of the orchestration broke).
    """
    cause = error.cause
    details = {"activity": activity_name, "retry_state": _retry_state(error)}
    if isinstance(cause, ApplicationError):
        if cause.type:
            details["error_type"] = cause.type
        return phase_pb2.ExecutionError(
            code=ACTIVITY_FAILED,
            message=f"{activity_name} failed: {cause.message}",
            details=details,
        )
    if isinstance(cause, TimeoutError):
        kind = cause.type.name if cause.type is not None else "UNKNOWN"
        details["timeout_type"] = kind
        return phase_pb2.ExecutionError(
            code=ACTIVITY_TIMEOUT,
            message=f"{activity_name} timed out ({kind})",
            details=details,
        )
    if isinstance(cause, CancelledError):
        return phase_pb2.ExecutionError(
            code=ACTIVITY_CANCELLED, message=f"{activity_name} was cancelled", details=details
        )
    reason = cause.message if cause is not None and hasattr(cause, "message") else str(error)
    return phase_pb2.ExecutionError(
        code=ACTIVITY_ERROR, message=f"{activity_name} failed: {reason}", details=details
    )


def cancellation() -> phase_pb2.ExecutionError:
    """The orchestration workflow itself was cancelled (e.g. ``temporal workflow cancel``)."""
    return phase_pb2.ExecutionError(
        code=EXECUTION_CANCELLED, message="the execution's orchestration was cancelled"
    )


def non_terminal_result(activity_name: str, phase: int) -> phase_pb2.ExecutionError:
    """The runner returned normally but reported a phase that is not final."""
    return phase_pb2.ExecutionError(
        code=RUNNER_PROTOCOL_ERROR,
        message=(
            f"{activity_name} returned without a terminal phase "
            f"({phase_pb2.ExecutionPhase.Name(phase)})"  # type: ignore[arg-type]
        ),
        details={"activity": activity_name},
    )


def _retry_state(error: ActivityError) -> str:
    state = error.retry_state
    return state.name if state is not None else "UNSPECIFIED"
