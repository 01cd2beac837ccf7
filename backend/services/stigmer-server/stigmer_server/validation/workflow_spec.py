"""Validation of a WorkflowSpec beyond its own rules: each task's ``task_config``.

``WorkflowTask.task_config`` is a Struct so any client can send plain JSON. Here
it is parsed into the typed message of the task's kind (unknown keys rejected,
wrong types rejected) and that message's ``buf.validate`` rules are checked.
Tasks nested in FOR / FORK / TRY configs are checked the same way, recursively.
Paths use the JSON keys the client wrote (``do``, ``in``, ``try``), e.g.
``spec.tasks[2].task_config.do[0].task_config.method``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message
from stigmer.workflow.v1 import api_pb2, task_configs_pb2

from stigmer_server.validation.field_violations import (
    FieldViolation,
    format_path,
    violations_of,
)
from stigmer_server.validation.field_violations import _validator as validator

CONFIG_TYPES: dict[int, type[Message]] = {
    api_pb2.SET: task_configs_pb2.SetTaskConfig,
    api_pb2.HTTP_CALL: task_configs_pb2.HttpCallTaskConfig,
    api_pb2.GRPC_CALL: task_configs_pb2.GrpcCallTaskConfig,
    api_pb2.CALL_ACTIVITY: task_configs_pb2.CallActivityTaskConfig,
    api_pb2.SWITCH: task_configs_pb2.SwitchTaskConfig,
    api_pb2.FOR: task_configs_pb2.ForTaskConfig,
    api_pb2.FORK: task_configs_pb2.ForkTaskConfig,
    api_pb2.TRY: task_configs_pb2.TryTaskConfig,
    api_pb2.LISTEN: task_configs_pb2.ListenTaskConfig,
    api_pb2.WAIT: task_configs_pb2.WaitTaskConfig,
    api_pb2.RAISE: task_configs_pb2.RaiseTaskConfig,
    api_pb2.RUN: task_configs_pb2.RunTaskConfig,
    api_pb2.AGENT_CALL: task_configs_pb2.AgentCallTaskConfig,
    api_pb2.EMIT: task_configs_pb2.EmitTaskConfig,
    api_pb2.DO: task_configs_pb2.DoTaskConfig,
    api_pb2.FUNCTION_CALL: task_configs_pb2.FunctionCallTaskConfig,
}

_NO_FIELD = re.compile(r'has no field named "([^"]+)"')
_BAD_FIELD = re.compile(r"Failed to parse ([A-Za-z0-9_]+) field")


def typed_task_config(task: api_pb2.WorkflowTask) -> Message:
    """The typed config message of ``task`` (parsing only, no rule checks).

    Raises:
        KeyError: The task kind has no config type (unknown kind).
        json_format.ParseError: The Struct does not fit the typed message.
    """
    config = CONFIG_TYPES[task.kind]()
    json_format.ParseDict(json_format.MessageToDict(task.task_config), config)
    return config


def validate_workflow_spec(
    spec: api_pb2.WorkflowSpec, *, prefix: str = "spec"
) -> list[FieldViolation]:
    """Every violation of ``spec``: its own rules, then each task's typed config."""
    violations = violations_of(spec, prefix=prefix)
    violations.extend(task_config_violations(spec, prefix=prefix))
    return violations


def task_config_violations(
    spec: api_pb2.WorkflowSpec, *, prefix: str = "spec"
) -> list[FieldViolation]:
    """Only the task-level checks: unique names per list and typed configs."""
    return _validate_tasks(spec.tasks, f"{prefix}.tasks")


def _validate_tasks(tasks: Iterable[api_pb2.WorkflowTask], path: str) -> list[FieldViolation]:
    # The tasks' own rules (name, kind) were checked with the enclosing message;
    # here: unique names per list, and each task's typed config.
    violations: list[FieldViolation] = []
    seen: set[str] = set()
    for index, task in enumerate(tasks):
        task_path = f"{path}[{index}]"
        if task.name and task.name in seen:
            violations.append(
                FieldViolation(
                    f"{task_path}.name", f"duplicate task name {task.name!r}", "task.unique_name"
                )
            )
        seen.add(task.name)
        violations.extend(_validate_config(task, f"{task_path}.task_config"))
    return violations


def _validate_config(task: api_pb2.WorkflowTask, path: str) -> list[FieldViolation]:
    config_type = CONFIG_TYPES.get(task.kind)
    if config_type is None:
        return []  # unknown kind: already reported by the kind's enum rule
    config = config_type()
    try:
        json_format.ParseDict(json_format.MessageToDict(task.task_config), config)
    except json_format.ParseError as error:
        return [_parse_violation(str(error), path, config_type)]
    violations = [
        FieldViolation(
            _json_path(
                config_type, v.proto.field.elements if v.proto.field is not None else [], path
            ),
            str(v.proto.message),
            str(v.proto.rule_id),
        )
        for v in validator.collect_violations(config)
    ]
    for field, nested in _nested_task_lists(config):
        violations.extend(_validate_tasks(nested, f"{path}.{field}"))
    return violations


def _parse_violation(error: str, path: str, config_type: type[Message]) -> FieldViolation:
    unknown = _NO_FIELD.search(error)
    if unknown:
        return FieldViolation(
            f"{path}.{unknown.group(1)}",
            f"unknown field for {config_type.DESCRIPTOR.name}",
            "task_config.unknown_field",
        )
    bad = _BAD_FIELD.search(error)
    field = f"{path}.{bad.group(1)}" if bad else path
    return FieldViolation(field, f"wrong type: {error}", "task_config.wrong_type")


def _json_path(config_type: type[Message], elements: object, path: str) -> str:
    """Rewrites the proto field names of a violation path to the JSON keys."""
    descriptor: Any = config_type.DESCRIPTOR
    rendered = format_path(elements)
    names: list[str] = []
    for element in elements:  # type: ignore[attr-defined]
        field = descriptor.fields_by_name.get(element.field_name) if descriptor else None
        names.append(field.json_name if field is not None else element.field_name)
        descriptor = field.message_type if field is not None and field.message_type else None
    # Keep the subscripts of the rendered path, swap the names.
    parts = rendered.split(".")
    for i, name in enumerate(names):
        if i < len(parts):
            _, _, tail = parts[i].partition("[")
            parts[i] = name + (f"[{tail}" if tail else "")
    return f"{path}.{'.'.join(parts)}" if rendered else path


def _nested_task_lists(config: Message) -> list[tuple[str, list[api_pb2.WorkflowTask]]]:
    """(json path, tasks) of every repeated WorkflowTask field, at any depth."""
    found: list[tuple[str, list[api_pb2.WorkflowTask]]] = []
    for field, value in config.ListFields():
        if field.message_type is None:
            continue
        if field.message_type.full_name == api_pb2.WorkflowTask.DESCRIPTOR.full_name:
            found.append((field.json_name, list(value)))
        elif field.is_repeated and not field.message_type.GetOptions().map_entry:
            for index, item in enumerate(value):
                for sub, tasks in _nested_task_lists(item):
                    found.append((f"{field.json_name}[{index}].{sub}", tasks))
        elif not field.is_repeated and field.message_type.full_name.startswith("stigmer."):
            for sub, tasks in _nested_task_lists(value):
                found.append((f"{field.json_name}.{sub}", tasks))
    return found
