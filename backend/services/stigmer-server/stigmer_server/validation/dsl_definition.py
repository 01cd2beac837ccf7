"""The engine's own definition checks, run on a WorkflowSpec at Apply/Create/Update.

The spec's rules and typed task configs (``workflow_spec``) say what the API
accepts; the DSL library's loader says what the engine can run (flow targets,
jq expressions, durations, reusable names...). Running the loader here means a
spec the engine would refuse when the execution starts is refused when it is
stored instead, with the spec field that is wrong.

The loader names DSL locations (``/do/0/go/then``, ``use.timeouts.short``);
:func:`spec_field_path` maps them back onto the spec the client wrote
(``spec.tasks[0].flow.then``), down to the task at least.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Final

from stigmer.workflow.v1 import api_pb2
from stigmer_dsl.converter import ConversionError, spec_to_document
from stigmer_dsl.loader import DefinitionError, build_definition, parse_document

from stigmer_server.validation.field_violations import FieldViolation

#: Task keys the spec keeps on WorkflowTask itself (DSL key -> proto field).
_TASK_FIELDS: Final = {
    "if": "condition",
    "input": "input",
    "output": "output",
    "export": "export",
    "timeout": "timeout",
    "metadata": "metadata",
    "then": "flow.then",
}
#: Nested task lists of a task body (DSL keys -> the typed config's JSON keys).
_NESTED_LISTS: Final[tuple[tuple[tuple[str, ...], str], ...]] = (
    (("do",), "task_config.do"),
    (("try",), "task_config.try"),
    (("catch", "do"), "task_config.catch.do"),
    (("foreach", "do"), "task_config.foreach.do"),
)
#: ``path: message`` as ConversionError words it (the path is already the spec's).
_CONVERSION_PATH: Final = re.compile(r"^(spec(?:\.[\w\[\]]+)*): ")


def dsl_violations(spec: api_pb2.WorkflowSpec, *, prefix: str = "spec") -> list[FieldViolation]:
    """The engine's refusal of ``spec`` (at most one), or no violation.

    Call only on a spec whose own rules and typed task configs passed: the
    conversion to a DSL document relies on them.
    """
    try:
        document = spec_to_document(spec)
    except ConversionError as error:
        match = _CONVERSION_PATH.match(str(error))
        field = prefix + match.group(1)[len("spec") :] if match else prefix
        return [FieldViolation(field, str(error), "dsl.conversion")]
    try:
        # As the engine receives it: JSON text (see the runner's bridge).
        build_definition(parse_document(json.dumps(document, separators=(",", ":"))))
    except DefinitionError as error:
        where = str(error).split(": ", 1)[0]
        return [FieldViolation(spec_field_path(where, prefix=prefix), str(error), "dsl.definition")]
    return []


def spec_field_path(where: str, *, prefix: str = "spec") -> str:
    """The spec field path of a loader location (a JSON pointer or a dotted name)."""
    segments = [s for s in re.split(r"[/.]", where) if s]
    if not segments:
        return prefix
    if segments[0] == "do":
        if len(segments) >= 3 and segments[1].isdigit():
            return _in_task(f"{prefix}.tasks[{segments[1]}]", segments[3:])
        return f"{prefix}.tasks"
    return ".".join([prefix, *segments])


def _in_task(path: str, rest: Sequence[str]) -> str:
    """``rest`` is the part of a pointer below the task at spec path ``path``."""
    if not rest:
        return path
    head = rest[0]
    if head in _TASK_FIELDS:
        return f"{path}.{_TASK_FIELDS[head]}"
    if head == "switch" and len(rest) >= 2 and rest[1].isdigit():
        case = f"{path}.task_config.cases[{rest[1]}]"
        return f"{case}.{rest[3]}" if len(rest) >= 4 else case
    if list(rest[:2]) == ["fork", "branches"] and len(rest) >= 3:
        if rest[2].isdigit():
            branch = f"{path}.task_config.branches[{rest[2]}]"
            # A branch is a `do` task: /fork/branches/<k>/<name>/do/<j>/<task>/...
            if len(rest) >= 7 and rest[4] == "do" and rest[5].isdigit():
                return _in_task(f"{branch}.do[{rest[5]}]", rest[7:])
            return branch
    for keys, field in _NESTED_LISTS:
        n = len(keys)
        if tuple(rest[:n]) == keys and len(rest) >= n + 2 and rest[n].isdigit():
            return _in_task(f"{path}.{field}[{rest[n]}]", rest[n + 2 :])
    return f"{path}.task_config"
