"""Runtime expressions: strict/loose, arguments, determinism guards, errors."""

from __future__ import annotations

import pytest
from stigmer_dsl.errors import WorkflowError
from stigmer_dsl.expressions import (
    EvaluationMode,
    ExpressionEvaluator,
    compile_expression,
    is_strict_expression,
    strip_expression,
)
from stigmer_dsl.expressions.jq_language import ExpressionSyntaxError

STRICT = ExpressionEvaluator(EvaluationMode.STRICT, clock=lambda: 1700000000.5)
LOOSE = ExpressionEvaluator(EvaluationMode.LOOSE, clock=lambda: 0.0)


def test_strict_detection_and_stripping() -> None:
    assert is_strict_expression("  ${ .a } ")
    assert not is_strict_expression(".a")
    assert not is_strict_expression("${ .a")
    assert strip_expression("${ .a + 1 }") == ".a + 1"
    assert strip_expression(".a") == ".a"


def test_value_walk_evaluates_only_wrapped_strings_in_strict_mode() -> None:
    value = {"a": "${ .x }", "b": ".x", "c": ["${ .x + 1 }", 3], "d": {"e": "${ $input }"}}
    assert STRICT.evaluate_value(value, {"x": 1}, {"input": "in"}) == {
        "a": 1,
        "b": ".x",
        "c": [2, 3],
        "d": {"e": "in"},
    }


def test_loose_mode_evaluates_any_string_and_keeps_non_expressions() -> None:
    assert LOOSE.evaluate_value({"a": ".x", "b": "plain words"}, {"x": 4}, {}) == {
        "a": 4,
        "b": "plain words",
    }


def test_expression_fields_accept_wrapped_and_bare() -> None:
    assert STRICT.evaluate_expression(".a", {"a": 2}, {}) == 2
    assert STRICT.evaluate_expression("${ .a }", {"a": 2}, {}) == 2


def test_condition_uses_jq_truthiness() -> None:
    assert STRICT.evaluate_condition(".a", {"a": 0}, {})  # 0 is true in jq
    assert not STRICT.evaluate_condition(".a", {"a": None}, {})
    assert not STRICT.evaluate_condition(".a", {"a": False}, {})


def test_empty_result_is_null_and_first_result_wins() -> None:
    assert STRICT.evaluate_expression("empty", 1, {}) is None
    assert STRICT.evaluate_expression(".[]", [5, 6], {}) == 5


def test_now_is_the_injected_clock_not_the_machine_clock() -> None:
    assert STRICT.evaluate_expression("now", None, {}) == 1700000000.5


def test_env_is_empty_and_env_variable_is_rejected() -> None:
    assert STRICT.evaluate_expression("env", None, {}) == {}
    with pytest.raises(ExpressionSyntaxError, match=r"\$ENV is not available"):
        compile_expression("$ENV.HOME", [])


def test_input_builtin_is_an_expression_error() -> None:
    with pytest.raises(WorkflowError) as caught:
        STRICT.evaluate_expression("input", None, {}, where="/do/0/x/set")
    assert caught.value.kind == "expression"
    assert caught.value.status == 400
    assert "/do/0/x/set" in (caught.value.detail or "")


def test_unknown_variable_fails_to_compile() -> None:
    with pytest.raises(ExpressionSyntaxError, match=r"\$nope is not defined"):
        ExpressionEvaluator.check("$nope", [])
    ExpressionEvaluator.check("$color", ["color"])


def test_runtime_error_is_expression_error() -> None:
    with pytest.raises(WorkflowError) as caught:
        STRICT.evaluate_expression(".a + 1", {"a": "x"}, {})
    assert caught.value.type == "https://serverlessworkflow.io/spec/1.0.0/errors/expression"


def test_compiled_programs_are_cached_per_variable_set() -> None:
    first = compile_expression(".a + $x", ["x", "y"])
    assert first is compile_expression(".a + $x", ["y", "x"])
    assert first.variables == ("x",)


def test_user_defs_stay_local_to_the_expression() -> None:
    assert STRICT.evaluate_expression("def twice: . * 2; twice", 4, {}) == 8
