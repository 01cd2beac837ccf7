"""WorkflowSpec validation: typed task configs with field paths (issue #2 acceptance)."""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format
from stigmer.workflow.v1 import api_pb2
from stigmer_server.validation.workflow_spec import validate_workflow_spec

DOCUMENT = {"dsl": "1.0.0", "namespace": "demo", "name": "hello", "version": "1.0.0"}


def spec(*tasks: dict[str, Any], document: dict[str, str] | None = None) -> api_pb2.WorkflowSpec:
    return json_format.ParseDict(
        {"document": DOCUMENT if document is None else document, "tasks": list(tasks)},
        api_pb2.WorkflowSpec(),
    )


def fields(s: api_pb2.WorkflowSpec) -> list[str]:
    return [v.field for v in validate_workflow_spec(s)]


HTTP_OK = {"method": "GET", "endpoint": {"uri": "https://example.com"}}


def test_valid_spec_of_every_kind_passes() -> None:
    s = spec(
        {"name": "a", "kind": "SET", "task_config": {"variables": {"x": 1}}},
        {"name": "b", "kind": "HTTP_CALL", "task_config": HTTP_OK, "export": {"as": "${ . }"}},
        {"name": "c", "kind": "WAIT", "task_config": {"duration": "PT1S"}, "flow": {"then": "end"}},
        {
            "name": "d",
            "kind": "FOR",
            "task_config": {
                "in": "${ .items }",
                "do": [{"name": "e", "kind": "SET", "task_config": {"variables": {}}}],
            },
        },
        {"name": "f", "kind": "RUN", "task_config": {"shell": {"command": "echo hi"}}},
        {"name": "g", "kind": "AGENT_CALL", "task_config": {"agent": "helper", "message": "hi"}},
        {
            "name": "h",
            "kind": "SWITCH",
            "task_config": {"cases": [{"name": "x", "when": "${ true }", "then": "a"}]},
        },
        {
            "name": "i",
            "kind": "RAISE",
            "task_config": {"error": {"type": "https://x/errors/v", "status": 400}},
        },
        {
            "name": "j",
            "kind": "FORK",
            "task_config": {
                "branches": [
                    {
                        "name": "b1",
                        "kind": "DO",
                        "task_config": {
                            "do": [
                                {"name": "k", "kind": "WAIT", "task_config": {"duration": "PT0S"}}
                            ]
                        },
                    },
                    {"name": "b2", "kind": "SET", "task_config": {"expression": "${ . }"}},
                ]
            },
        },
        {
            "name": "l",
            "kind": "TRY",
            "task_config": {
                "try": [{"name": "m", "kind": "SET", "task_config": {"variables": {}}}],
                "catch": {"as": "err"},
            },
        },
        {
            "name": "n",
            "kind": "LISTEN",
            "task_config": {"mode": "one", "events": [{"type": "com.example"}]},
        },
        {
            "name": "o",
            "kind": "GRPC_CALL",
            "task_config": {
                "proto": {"uri": "file://x.proto"},
                "service": {"name": "a.B", "host": "h", "port": 1},
                "method": "M",
            },
        },
        {"name": "p", "kind": "CALL_ACTIVITY", "task_config": {"activity": "Do"}},
        {"name": "q", "kind": "EMIT", "task_config": {"event": {"type": "com.example"}}},
        {
            "name": "r",
            "kind": "FUNCTION_CALL",
            "task_config": {"call": "openapi", "with": {"operationId": "findPets"}},
            "if": "${ .enabled }",
            "input": {"from": "${ .x }"},
            "output": {"as": "${ .y }"},
            "timeout": {"after": {"seconds": 5}},
            "metadata": {"owner": "me"},
        },
        {"name": "s", "kind": "RAISE", "task_config": {"errorName": "notImplemented"}},
    )
    assert validate_workflow_spec(s) == []


def test_missing_task_name() -> None:
    assert set(fields(spec({"kind": "SET", "task_config": {"variables": {}}}))) == {
        "spec.tasks[0].name"
    }


def test_unknown_task_kind() -> None:
    s = spec({"name": "a", "task_config": {}})
    s.tasks[0].kind = 99  # type: ignore[assignment]  # a number no enum value has
    assert "spec.tasks[0].kind" in fields(s)


def test_bad_http_method() -> None:
    violations = validate_workflow_spec(
        spec({"name": "a", "kind": "HTTP_CALL", "task_config": {**HTTP_OK, "method": "FETCH"}})
    )
    assert [(v.field, v.rule_id) for v in violations] == [
        ("spec.tasks[0].task_config.method", "string.in")
    ]


def test_unknown_config_key_and_wrong_type() -> None:
    assert fields(
        spec({"name": "a", "kind": "HTTP_CALL", "task_config": {**HTTP_OK, "methd": "GET"}})
    ) == ["spec.tasks[0].task_config.methd"]
    assert fields(
        spec(
            {
                "name": "a",
                "kind": "HTTP_CALL",
                "task_config": {**HTTP_OK, "timeout_seconds": "soon"},
            }
        )
    ) == ["spec.tasks[0].task_config.timeout_seconds"]


def test_nested_tasks_use_json_keys_in_paths() -> None:
    s = spec(
        {
            "name": "loop",
            "kind": "FOR",
            "task_config": {
                "in": "${ .x }",
                "do": [
                    {"name": "w", "kind": "WAIT", "task_config": {"duration": "5 seconds"}},
                ],
            },
        },
    )
    assert fields(s) == ["spec.tasks[0].task_config.do[0].task_config.duration"]


def test_duplicate_task_names_and_document_rules() -> None:
    s = spec(
        {"name": "a", "kind": "SET", "task_config": {"variables": {}}},
        {"name": "a", "kind": "SET", "task_config": {"variables": {}}},
        document={**DOCUMENT, "dsl": "0.8"},
    )
    assert fields(s) == ["spec.document.dsl", "spec.tasks[1].name"]


def test_run_needs_exactly_one_target() -> None:
    assert fields(spec({"name": "a", "kind": "RUN", "task_config": {"await": True}})) == [
        "spec.tasks[0].task_config.target"
    ]


def test_dsl_blocks_of_the_new_kinds_name_the_field() -> None:
    s = spec(
        {"name": "a", "kind": "EMIT", "task_config": {}},
        {"name": "b", "kind": "FUNCTION_CALL", "task_config": {"with": {}}},
        {
            "name": "c",
            "kind": "DO",
            "task_config": {
                "do": [
                    {"name": "d", "kind": "HTTP_CALL", "task_config": {**HTTP_OK, "method": "X"}}
                ]
            },
        },
        {
            "name": "e",
            "kind": "RUN",
            "task_config": {"shell": {"command": "x"}, "return": "all-of"},
        },
        {
            "name": "f",
            "kind": "LISTEN",
            "task_config": {"mode": "any", "events": [], "read": "body"},
        },
        {"name": "g", "kind": "DO", "task_config": {"do": []}},
    )
    assert fields(s) == [
        "spec.tasks[0].task_config.event",
        "spec.tasks[1].task_config.call",
        "spec.tasks[2].task_config.do[0].task_config.method",
        "spec.tasks[3].task_config.return",
        "spec.tasks[4].task_config.read",
        "spec.tasks[5].task_config.do",
    ]


def test_set_and_raise_need_one_of_their_forms() -> None:
    assert fields(
        spec(
            {"name": "a", "kind": "SET", "task_config": {}},
            {"name": "b", "kind": "RAISE", "task_config": {}},
        )
    ) == ["spec.tasks[0].task_config.value", "spec.tasks[1].task_config.definition"]


def test_dsl_versions_the_engine_loads_are_accepted() -> None:
    task = {"name": "a", "kind": "SET", "task_config": {"variables": {}}}
    for version in ("1.0.0", "1.0.3", "1.0.0-alpha5", "1.0.0-rc.1", "1.0.3+build.7"):
        assert fields(spec(task, document={**DOCUMENT, "dsl": version})) == [], version
    for version in ("2.0.0", "1.1.0", "1.0", "1.0.01", "1.0.0-"):
        assert fields(spec(task, document={**DOCUMENT, "dsl": version})) == ["spec.document.dsl"], (
            version
        )
