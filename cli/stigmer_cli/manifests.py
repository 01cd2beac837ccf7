"""Reading ``stigmer apply -f FILE``: a Workflow resource or a DSL 1.0 workflow.

A file with ``kind: Workflow`` is a resource (proto JSON field names, YAML or
JSON); a file with ``document`` + ``do`` is a DSL 1.0 workflow, converted to a
Workflow resource by the shared converter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from stigmer.workflow.v1 import api_pb2
from stigmer_dsl.converter import ConversionError, workflow_from_dsl

from stigmer_cli.errors import UsageError
from stigmer_cli.input_limits import (
    check_finite,
    check_message_depth,
    check_nesting,
    message_too_deep,
    too_deep_to_read,
)


def load_workflow(path: Path) -> tuple[api_pb2.Workflow, list[str]]:
    """The Workflow resource in ``path`` and notes on what a DSL conversion dropped.

    Raises:
        UsageError: unreadable or non-UTF-8 file, bad YAML, nested too deep (the limit
            named), or neither a Workflow nor a DSL document.
    """
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise UsageError(f"{path}: cannot read ({error.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise UsageError(
            f"{path}: not UTF-8 (byte 0x{raw[error.start]:02x} on line {line}); "
            "save the file as UTF-8"
        ) from None
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise UsageError(f"{path}: not valid YAML ({_one_line(error)})") from None
    except RecursionError:
        raise too_deep_to_read(str(path)) from None
    check_nesting(data, str(path))
    check_finite(data, str(path))
    workflow, notes = _workflow_of(path, data)
    check_message_depth(workflow, str(path))
    return workflow, notes


def _workflow_of(path: Path, data: Any) -> tuple[api_pb2.Workflow, list[str]]:
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a mapping (a Workflow resource or a DSL 1.0 document)")
    if data.get("kind") == "Workflow":
        workflow = api_pb2.Workflow()
        try:
            json_format.ParseDict(data, workflow)
        except DecodeError:
            raise message_too_deep(str(path)) from None
        except json_format.ParseError as error:
            raise UsageError(f"{path}: not a valid Workflow resource: {error}") from None
        return workflow, []
    if "document" in data and "do" in data:
        try:
            return workflow_from_dsl(data)
        except ConversionError as error:
            raise UsageError(f"{path}: {error}") from None
        except DecodeError:  # building the nested task configs hit the decoder's limit
            raise message_too_deep(str(path)) from None
    raise UsageError(
        f"{path}: neither a Workflow resource (kind: Workflow) nor a DSL 1.0 document "
        "(document + do)"
    )


def _one_line(error: yaml.YAMLError) -> str:
    """PyYAML's messages span lines (with a source excerpt); the CLI prints one line."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    if mark is None:
        return str(problem)
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
