"""protovalidate violations as ``(field path, message)`` pairs a client can act on."""

from __future__ import annotations

from dataclasses import dataclass

import protovalidate
from google.protobuf.message import Message

from stigmer_server.errors import InvalidArgument

_validator = protovalidate.Validator()


@dataclass(frozen=True)
class FieldViolation:
    """One broken rule. ``field`` is dotted with indexes: ``spec.tasks[0].name``."""

    field: str
    message: str
    rule_id: str = ""


def format_path(elements: object) -> str:
    """Renders a protovalidate ``FieldPath`` (its ``elements``) as a dotted path."""
    parts: list[str] = []
    for element in elements:  # type: ignore[attr-defined]
        name = str(element.field_name)
        # protovalidate 2 hands out its own protobuf runtime's messages: the
        # subscript is a Oneof(field, value), not a WhichOneof-able field.
        subscript = getattr(element, "subscript", None)
        if subscript is not None and subscript.field == "index":
            name += f"[{subscript.value}]"
        elif subscript is not None:
            name += f"[{subscript.value!r}]"
        parts.append(name)
    return ".".join(parts)


def violations_of(message: Message, *, prefix: str = "") -> list[FieldViolation]:
    """Every broken ``buf.validate`` rule of ``message``, paths prefixed with ``prefix``."""
    found: list[FieldViolation] = []
    for violation in _validator.collect_violations(message):
        proto = violation.proto
        path = format_path(proto.field.elements if proto.field is not None else [])
        if prefix:
            path = f"{prefix}.{path}" if path else prefix
        found.append(FieldViolation(path, str(proto.message), str(proto.rule_id)))
    return found


def raise_first(violations: list[FieldViolation]) -> None:
    """Raises INVALID_ARGUMENT for the first violation, mentioning how many more.

    Raises:
        InvalidArgument: There is at least one violation.
    """
    if not violations:
        return
    first = violations[0]
    more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
    raise InvalidArgument(f"{first.message}{more}", field=first.field)
