"""Problem details, durations (literal and runtime expressions), retry arithmetic, catch filters."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from stigmer_dsl.durations import parse_duration, resolve_duration
from stigmer_dsl.errors import WorkflowError, standard_kind, types_match
from stigmer_dsl.expressions import EvaluationMode, ExpressionEvaluator
from temporalio.exceptions import ApplicationError
from workflow_runner.engine.errors import error_from_failure, to_application_error
from workflow_runner.engine.retry import RetryPolicy
from workflow_runner.engine.tasks.try_ import matches_filter


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
    converted = to_application_error(original)
    assert converted.type == "communication" and converted.non_retryable
    assert error_from_failure(converted).to_dict() == original.to_dict()


def test_activity_problem_gets_the_task_instance() -> None:
    failure = ApplicationError(
        "Not Found",
        {"type": "https://serverlessworkflow.io/spec/1.0.0/errors/communication", "status": 404},
        type="communication",
        non_retryable=True,
    )
    error = error_from_failure(failure, instance="/do/0/getPet")
    assert (error.status, error.instance, error.kind) == (404, "/do/0/getPet", "communication")


def test_plain_application_error_becomes_its_kind() -> None:
    error = error_from_failure(ApplicationError("boom", type="validation"))
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


def _evaluate_on(data: Any) -> Any:
    evaluator = ExpressionEvaluator(EvaluationMode.STRICT, clock=lambda: 0.0)
    return lambda source: evaluator.evaluate_expression(source, data, {}, where="/x")


@pytest.mark.parametrize(
    ("value", "data", "expected"),
    [
        ("${ .pause }", {"pause": "PT2S"}, timedelta(seconds=2)),
        ('${ "PT" + (.n | tostring) + "M" }', {"n": 3}, timedelta(minutes=3)),
        (".pause", {"pause": "PT0.5S"}, timedelta(milliseconds=500)),
        ("${ {seconds: .n} }", {"n": 4}, timedelta(seconds=4)),
        ("PT1S", None, timedelta(seconds=1)),
        ({"minutes": 1}, None, timedelta(minutes=1)),
    ],
)
def test_runtime_expression_durations_are_evaluated(
    value: Any, data: Any, expected: timedelta
) -> None:
    assert resolve_duration(value, _evaluate_on(data), field_name="/do/0/a/timeout/after") == (
        expected
    )


@pytest.mark.parametrize("result", [5, "soon", None, ["PT1S"], True])
def test_an_expression_that_is_not_a_duration_is_a_configuration_error_naming_the_field(
    result: Any,
) -> None:
    with pytest.raises(WorkflowError) as caught:
        resolve_duration(
            "${ .d }", _evaluate_on({"d": result}), field_name="/do/0/t/catch/retry/delay"
        )
    error = caught.value
    assert error.kind == "configuration"
    detail = error.detail or ""
    assert detail.startswith("/do/0/t/catch/retry/delay: '${ .d }' evaluated to"), detail
    assert "not a duration" in detail


def test_retry_durations_may_be_runtime_expressions() -> None:
    policy = RetryPolicy.parse(
        {
            "delay": "${ .delay }",
            "backoff": {"linear": {}},
            "limit": {"duration": "${ .total }", "attempt": {"duration": "${ .each }"}},
            "jitter": {"from": "PT0S", "to": "${ .delay }"},
        },
        {},
        where="/do/0/t/catch/retry",
        evaluate=_evaluate_on({"delay": "PT2S", "total": "PT1M", "each": {"seconds": 5}}),
    )
    assert policy.delay == timedelta(seconds=2)
    assert policy.max_total == timedelta(minutes=1)
    assert policy.attempt_timeout == timedelta(seconds=5)
    assert policy.jitter == (timedelta(0), timedelta(seconds=2))


def test_a_retry_delay_expression_that_is_not_a_duration_names_the_field() -> None:
    with pytest.raises(WorkflowError) as caught:
        RetryPolicy.parse(
            {"delay": ".delay"},
            {},
            where="/do/0/t/catch/retry",
            evaluate=_evaluate_on({"delay": 3}),
        )
    assert caught.value.kind == "configuration"
    assert (caught.value.detail or "").startswith(
        "/do/0/t/catch/retry/delay: '.delay' evaluated to 3,"
    )


def _error(detail: str) -> WorkflowError:
    return WorkflowError(
        type="https://example.com/errors/quota",
        status=429,
        title="Quota",
        detail=detail,
        instance="/do/0/call",
    )


def test_catch_filter_on_details_matches_the_error_detail() -> None:
    assert matches_filter(_error("daily quota exceeded"), {"details": "daily quota exceeded"})
    assert matches_filter(
        _error("daily quota exceeded"),
        {
            "type": "https://example.com/errors/quota",
            "status": 429,
            "details": "daily quota exceeded",
        },
    )


def test_catch_filter_on_different_details_does_not_match() -> None:
    assert not matches_filter(_error("daily quota exceeded"), {"details": "monthly quota exceeded"})
    assert not matches_filter(
        _error("daily quota exceeded"), {"status": 429, "details": "monthly quota exceeded"}
    )
    assert not matches_filter(WorkflowError.runtime("x"), {"details": ""})
