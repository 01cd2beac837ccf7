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
from stigmer.workflow.v1 import api_pb2
from stigmer_dsl.converter import ConversionError, workflow_from_dsl

from stigmer_cli.errors import UsageError


def load_workflow(path: Path) -> tuple[api_pb2.Workflow, list[str]]:
    """The Workflow resource in ``path`` and notes on what a DSL conversion dropped.

    Raises:
        UsageError: unreadable file, bad YAML, or neither a Workflow nor a DSL document.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"{path}: cannot read ({error.strerror})") from None
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise UsageError(f"{path}: not valid YAML ({_one_line(error)})") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a mapping (a Workflow resource or a DSL 1.0 document)")
    if data.get("kind") == "Workflow":
        workflow = api_pb2.Workflow()
        try:
            json_format.ParseDict(data, workflow)
        except json_format.ParseError as error:
            raise UsageError(f"{path}: not a valid Workflow resource: {error}") from None
        return workflow, []
    if "document" in data and "do" in data:
        try:
            return workflow_from_dsl(data)
        except ConversionError as error:
            raise UsageError(f"{path}: {error}") from None
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
