"""The engine's definition checks on a WorkflowSpec, with spec field paths (issue 11)."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf import json_format
from stigmer.workflow.v1 import api_pb2
from stigmer_server.validation.dsl_definition import dsl_violations, spec_field_path

DOCUMENT = {"dsl": "1.0.0", "namespace": "demo", "name": "hello", "version": "1.0.0"}


def spec(*tasks: dict[str, Any], **fields: Any) -> api_pb2.WorkflowSpec:
    return json_format.ParseDict(
        {"document": DOCUMENT, "tasks": list(tasks), **fields}, api_pb2.WorkflowSpec()
    )


def set_task(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "kind": "SET", "task_config": {"variables": {"x": 1}}, **extra}


def violation(s: api_pb2.WorkflowSpec) -> tuple[str, str]:
    found = dsl_violations(s)
    assert len(found) == 1, found
    return found[0].field, found[0].message


def test_a_spec_the_engine_runs_passes() -> None:
    s = spec(
        set_task("a", flow={"then": "c"}),
        {"name": "b", "kind": "WAIT", "task_config": {"duration": "PT1S"}},
        set_task("c", **{"if": "${ .x == 1 }"}),
    )
    assert dsl_violations(s) == []


def test_flow_target_that_does_not_exist() -> None:
    field, message = violation(spec(set_task("go", flow={"then": "nowhere"})))
    assert field == "spec.tasks[0].flow.then"
    assert "'nowhere'" in message and "/do/0/go/then" in message


def test_bad_jq_expression_names_the_task_config() -> None:
    bad = {"name": "calc", "kind": "SET", "task_config": {"variables": {"y": "${ .a | }"}}}
    field, message = violation(spec(set_task("first"), bad))
    assert field == "spec.tasks[1].task_config"
    assert "invalid expression" in message


def test_bad_condition_expression() -> None:
    field, _ = violation(spec(set_task("a", **{"if": "${ ]] }"})))
    assert field == "spec.tasks[0].condition"


def test_nested_task_in_a_for_loop() -> None:
    loop = {
        "name": "loop",
        "kind": "FOR",
        "task_config": {
            "in": "${ .items }",
            "do": [set_task("ok"), set_task("inner", flow={"then": "missing"})],
        },
    }
    field, _ = violation(spec(set_task("a"), loop))
    assert field == "spec.tasks[1].task_config.do[1].flow.then"


def test_switch_case_to_an_unknown_task() -> None:
    switch = {
        "name": "pick",
        "kind": "SWITCH",
        "task_config": {"cases": [{"name": "big", "when": "${ .x > 1 }", "then": "ghost"}]},
    }
    field, _ = violation(spec(switch, set_task("b")))
    assert field == "spec.tasks[0].task_config.cases[0].then"


def test_unknown_named_timeout_at_the_top() -> None:
    field, _ = violation(spec(set_task("a"), timeout="short"))
    assert field == "spec.timeout"


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("/do/3/x/then", "spec.tasks[3].flow.then"),
        ("/do/0/t/try/2/u/if", "spec.tasks[0].task_config.try[2].condition"),
        ("/do/0/t/catch/do/1/u/timeout/after", "spec.tasks[0].task_config.catch.do[1].timeout"),
        (
            "/do/1/f/fork/branches/0/b/do/2/c/then",
            "spec.tasks[1].task_config.branches[0].do[2].flow.then",
        ),
        ("/do/1/w/wait", "spec.tasks[1].task_config"),
        ("/do/0/x/input.from", "spec.tasks[0].input"),
        ("use.timeouts.short", "spec.use.timeouts.short"),
        ("document.dsl", "spec.document.dsl"),
        ("do", "spec.tasks"),
    ],
)
def test_loader_locations_map_to_spec_fields(where: str, expected: str) -> None:
    assert spec_field_path(where) == expected
