"""How observed runner outcomes become the status the orchestration persists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from stigmer.agentexecution.v1 import api_pb2 as agent_api
from stigmer.commons.v1 import phase_pb2
from stigmer.workflowexecution.v1 import api_pb2 as workflow_api
from stigmer_server.orchestration import outcome
from stigmer_server.orchestration.deadline import MINIMUM_BUDGET, RECORDING_MARGIN, runner_budget
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    RetryState,
    TimeoutError,
    TimeoutType,
)

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _activity_error(cause: BaseException) -> ActivityError:
    error = ActivityError(
        "Activity task failed",
        scheduled_event_id=5,
        started_event_id=6,
        identity="runner",
        activity_type="RunnerStep",
        activity_id="1",
        retry_state=RetryState.MAXIMUM_ATTEMPTS_REACHED,
    )
    error.__cause__ = cause
    return error


def test_application_error_keeps_the_runner_message_and_type() -> None:
    error = outcome.activity_error(
        _activity_error(ApplicationError("bad spec", type="ValidationError")),
        activity_name="RunnerStep",
    )
    assert error.code == outcome.ACTIVITY_FAILED
    assert error.message == "RunnerStep failed: bad spec"
    assert dict(error.details) == {
        "activity": "RunnerStep",
        "retry_state": "MAXIMUM_ATTEMPTS_REACHED",
        "error_type": "ValidationError",
    }


def test_timeout_names_the_timeout_kind() -> None:
    cause = TimeoutError("activity timeout", type=TimeoutType.HEARTBEAT, last_heartbeat_details=[])
    error = outcome.activity_error(_activity_error(cause), activity_name="AgentStep")
    assert error.code == outcome.ACTIVITY_TIMEOUT
    assert error.message == "AgentStep timed out (HEARTBEAT)"
    assert error.details["timeout_type"] == "HEARTBEAT"


def test_unset_phase_after_a_normal_return_means_completed() -> None:
    returned = workflow_api.WorkflowExecutionStatus()
    returned.output.string_value = "done"
    final = outcome.final_status(returned, activity_name="RunnerStep", now=NOW)
    assert final.phase == phase_pb2.COMPLETED
    assert final.output.string_value == "done"
    assert final.completed_at.ToDatetime(tzinfo=UTC) == NOW
    assert returned.phase == phase_pb2.EXECUTION_PHASE_UNSPECIFIED  # input untouched


def test_runner_reported_failure_is_kept_as_is() -> None:
    returned = agent_api.AgentExecutionStatus(phase=phase_pb2.FAILED)
    returned.error.message = "model refused"
    final = outcome.final_status(returned, activity_name="AgentStep", now=NOW)
    assert final.phase == phase_pb2.FAILED
    assert final.error.message == "model refused"


def test_non_terminal_return_is_a_runner_protocol_failure() -> None:
    returned = workflow_api.WorkflowExecutionStatus(phase=phase_pb2.IN_PROGRESS)
    final = outcome.final_status(returned, activity_name="RunnerStep", now=NOW)
    assert final.phase == phase_pb2.FAILED
    assert final.error.code == outcome.RUNNER_PROTOCOL_ERROR
    assert final.error.message == "RunnerStep returned without a terminal phase (IN_PROGRESS)"


def test_ended_status_carries_error_and_completion_time() -> None:
    error = outcome.activity_error(
        _activity_error(ApplicationError("boom")), activity_name="ThreadStep"
    )
    status = outcome.ended_status(agent_api.AgentExecutionStatus, phase_pb2.FAILED, error, now=NOW)
    assert status.phase == phase_pb2.FAILED
    assert status.error.message == "ThreadStep failed: boom"
    assert status.completed_at.ToDatetime(tzinfo=UTC) == NOW


def test_runner_budget_leaves_room_to_record_the_outcome() -> None:
    start = NOW
    budget = runner_budget(timedelta(minutes=30), start, start + timedelta(minutes=10))
    assert budget == timedelta(minutes=20) - RECORDING_MARGIN
    assert runner_budget(None, start, start) is None
    # Nearly out of time: still a positive (minimal) budget, so the call fails fast.
    assert runner_budget(timedelta(seconds=10), start, start) == MINIMUM_BUDGET
