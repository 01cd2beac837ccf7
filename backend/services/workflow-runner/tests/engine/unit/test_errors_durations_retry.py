"""Problem details, durations and retry backoff arithmetic."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.exceptions import ApplicationError
from workflow_runner.engine.durations import parse_duration
from workflow_runner.engine.errors import WorkflowError, standard_kind, types_match
from workflow_runner.engine.retry import RetryPolicy


@pytest.mark.parametrize(
    "uri",
    [
        "https://serverlessworkflow.io/spec/1.0.0/errors/communication",
        "https://serverlessworkflow.io/dsl/errors/types/communication",
        "https://open-workflow-specification.org/spec/1.0.0/errors/communication",
        "communication",
    ],
)
def test_standard_types_are_recognised_across_hosts(uri: str) -> None:
    assert standard_kind(uri) == "communication"
    assert types_match(uri, "https://serverlessworkflow.io/spec/1.0.0/errors/communication")


def test_custom_types_match_only_exactly() -> None:
    assert standard_kind("https://example.com/errors/communication") is None
    assert not types_match("https://example.com/a", "https://example.com/b")


def test_factories_use_default_status() -> None:
    assert WorkflowError.timeout("slow").to_dict() == {
        "type": "https://serverlessworkflow.io/spec/1.0.0/errors/timeout",
        "status": 408,
        "title": "Timeout Error",
        "detail": "slow",
    }
    assert WorkflowError.authentication("x").status == 401
    assert WorkflowError.authorization("x").status == 403


def test_application_error_round_trip_keeps_problem_details() -> None:
    original = WorkflowError.communication("down", status=503, instance="/do/0/a")
    converted = original.to_application_error()
    assert converted.type == "communication" and converted.non_retryable
    assert WorkflowError.from_failure(converted).to_dict() == original.to_dict()


def test_activity_problem_gets_the_task_instance() -> None:
    failure = ApplicationError(
        "Not Found",
        {"type": "https://serverlessworkflow.io/spec/1.0.0/errors/communication", "status": 404},
        type="communication",
        non_retryable=True,
    )
    error = WorkflowError.from_failure(failure, instance="/do/0/getPet")
    assert (error.status, error.instance, error.kind) == (404, "/do/0/getPet", "communication")


def test_plain_application_error_becomes_its_kind() -> None:
    error = WorkflowError.from_failure(ApplicationError("boom", type="validation"))
    assert error.kind == "validation" and error.status == 400 and error.detail == "boom"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("PT1M30S", timedelta(minutes=1, seconds=30)),
        ("P1DT2H", timedelta(days=1, hours=2)),
        ("PT0.25S", timedelta(milliseconds=250)),
        ("P2W", timedelta(weeks=2)),
        ({"seconds": 3, "milliseconds": 5}, timedelta(seconds=3, milliseconds=5)),
    ],
)
def test_durations(value: object, expected: timedelta) -> None:
    assert parse_duration(value) == expected


@pytest.mark.parametrize("value", ["1 minute", "P", "PT", {"fortnights": 1}, 5])
def test_bad_durations_are_configuration_errors(value: object) -> None:
    with pytest.raises(WorkflowError) as caught:
        parse_duration(value, field_name="/do/0/w/wait")
    assert caught.value.kind == "configuration"
    assert "/do/0/w/wait" in (caught.value.detail or "")


@pytest.mark.parametrize(
    ("backoff", "delays"),
    [("constant", [2, 2, 2]), ("linear", [2, 4, 6]), ("exponential", [2, 4, 8])],
)
def test_backoff_delays(backoff: str, delays: list[int]) -> None:
    policy = RetryPolicy.parse(
        {"delay": {"seconds": 2}, "backoff": {backoff: {}}}, {}, where="/retry"
    )
    assert [policy.delay_before(n).total_seconds() for n in (1, 2, 3)] == delays


def test_limits() -> None:
    policy = RetryPolicy.parse(
        "r", {"r": {"limit": {"attempt": {"count": 2}, "duration": "PT10S"}}}, where="/retry"
    )
    assert policy.allows(2, timedelta(seconds=1), timedelta(seconds=1))
    assert not policy.allows(3, timedelta(seconds=1), timedelta(seconds=1))
    assert not policy.allows(1, timedelta(seconds=9), timedelta(seconds=2))
