"""Printing resources: rich tables for people, JSON or YAML (proto field names) for scripts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import yaml
from google.protobuf import json_format
from google.protobuf.message import Message
from rich.table import Table
from rich.text import Text

from stigmer_cli.console import stdout_console
from stigmer_cli.phases import phase_name, phase_style
from stigmer_cli.task_tree import seconds


def as_dict(resource: Message) -> dict[str, Any]:
    """The resource as its proto JSON (original field names, enum names)."""
    value: dict[str, Any] = json_format.MessageToDict(resource, preserving_proto_field_name=True)
    return value


def print_data(data: Any, output: str) -> None:
    """``data`` (dicts, lists) as indented JSON or block YAML on stdout."""
    if output == "yaml":
        print(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), end="", flush=True)
    else:
        print(json.dumps(data, indent=2, ensure_ascii=False), flush=True)


def created_at(resource: Message) -> str:
    """When the resource was created (UTC, seconds), from ``status.audit``; ``-`` if unknown."""
    status = getattr(resource, "status", None)
    audit = getattr(status, "audit", None)
    when = seconds(audit.created_at) if audit is not None else None
    if when is None:
        return "-"
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d %H:%M:%S")


def phase_text(resource: Message) -> Text | None:
    """The phase of an execution kind (coloured), None for kinds without one."""
    status = getattr(resource, "status", None)
    if status is None or "phase" not in type(status).DESCRIPTOR.fields_by_name:
        return None
    phase = int(status.phase)
    label = phase_name(phase) + (" (paused)" if getattr(status, "paused", False) else "")
    return Text(label, style=phase_style(phase))


def print_table(resources: Sequence[Message]) -> None:
    """ID, NAME, (PHASE,) CREATED: one row per resource."""
    with_phase = any(phase_text(r) is not None for r in resources)
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("ID", no_wrap=True)
    table.add_column("NAME")
    if with_phase:
        table.add_column("PHASE", no_wrap=True)
    table.add_column("CREATED (UTC)", no_wrap=True)
    for resource in resources:
        metadata = resource.metadata  # type: ignore[attr-defined]
        row: list[Any] = [metadata.id, metadata.slug or metadata.name]
        if with_phase:
            row.append(phase_text(resource) or "")
        row.append(created_at(resource))
        table.add_row(*row)
    stdout_console().print(table)
