"""Build a populated sample of any generated message, for round-trip tests.

Every field gets a non-default value (one entry for repeated and map fields,
the last value of an enum), recursively up to a depth, so a converter that
dropped or mangled any field type would show up as an inequality.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from google.protobuf import descriptor, timestamp_pb2
from google.protobuf.message import Message

FD = descriptor.FieldDescriptor
MAX_DEPTH = 4

_SCALARS: dict[int, Any] = {
    FD.TYPE_DOUBLE: 1.5,
    FD.TYPE_FLOAT: 2.5,
    FD.TYPE_INT64: -(2**40),
    FD.TYPE_UINT64: 2**40,
    FD.TYPE_INT32: -7,
    FD.TYPE_FIXED64: 9,
    FD.TYPE_FIXED32: 10,
    FD.TYPE_BOOL: True,
    FD.TYPE_STRING: "sample ✓",
    FD.TYPE_BYTES: b"\x00\xffbytes",
    FD.TYPE_UINT32: 11,
    FD.TYPE_SFIXED32: -12,
    FD.TYPE_SFIXED64: -13,
    FD.TYPE_SINT32: -14,
    FD.TYPE_SINT64: -15,
}


def generated_message_types(package: str = "stigmer") -> Iterator[type[Message]]:
    """Every top-level message class of every ``*_pb2`` module under ``package``."""
    root = importlib.import_module(package)
    seen: set[str] = set()
    for base in list(root.__path__):
        for path in sorted(Path(base).rglob("*_pb2.py")):
            module_name = ".".join((package, *path.relative_to(base).with_suffix("").parts))
            if module_name in seen:
                continue
            seen.add(module_name)
            module = importlib.import_module(module_name)
            for name in sorted(module.DESCRIPTOR.message_types_by_name):
                yield getattr(module, name)


def populate(message: Message, depth: int = 0) -> Message:
    """Fill every field of ``message`` in place and return it."""
    full_name = message.DESCRIPTOR.full_name
    if full_name == "google.protobuf.Struct":
        message.update({"key": "value", "n": 3, "nested": {"list": [1, "two", None, True]}})  # type: ignore[attr-defined]
        return message
    if full_name == "google.protobuf.Value":
        message.struct_value.update({"answer": 42})  # type: ignore[attr-defined]
        return message
    if full_name == "google.protobuf.ListValue":
        message.extend([1, "two"])  # type: ignore[attr-defined]
        return message
    if full_name == "google.protobuf.Any":
        message.Pack(timestamp_pb2.Timestamp(seconds=1_700_000_000))  # type: ignore[attr-defined]
        return message
    if full_name == "google.protobuf.Timestamp":
        message.seconds, message.nanos = 1_700_000_000, 5000  # type: ignore[attr-defined]
        return message
    if full_name == "google.protobuf.Duration":
        message.seconds, message.nanos = 90, 0  # type: ignore[attr-defined]
        return message
    if full_name == "google.protobuf.FieldMask":
        message.paths.append("spec.name")  # type: ignore[attr-defined]
        return message
    if depth > MAX_DEPTH:
        return message
    for field in message.DESCRIPTOR.fields:
        _populate_field(message, field, depth)
    return message


def _populate_field(message: Message, field: FD, depth: int) -> None:
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        key_field = field.message_type.fields_by_name["key"]
        value_field = field.message_type.fields_by_name["value"]
        key = _scalar(key_field)
        target = getattr(message, field.name)
        if value_field.message_type is not None:
            populate(target[key], depth + 1)
        else:
            target[key] = _scalar(value_field)
        return
    repeated = field.is_repeated
    if field.message_type is not None:
        if depth >= MAX_DEPTH and field.message_type.full_name.startswith("stigmer."):
            return
        target = getattr(message, field.name)
        populate(target.add() if repeated else target, depth + 1)
        return
    value = _scalar(field)
    if repeated:
        getattr(message, field.name).append(value)
    else:
        setattr(message, field.name, value)


def _scalar(field: FD) -> Any:
    if field.type == FD.TYPE_ENUM:
        return field.enum_type.values[-1].number
    return _SCALARS[field.type]
