"""Numbers in ``google.protobuf.Struct``/``Value`` fields must be finite.

JSON has no NaN or Infinity, yet a Struct can carry them; stored, they would
fail later where JSON is written (Temporal payloads, the runner, a UI), after
the resource exists. Refused at the door instead, naming the field.
"""

from __future__ import annotations

import math

from google.protobuf import struct_pb2

from stigmer_server.validation.field_violations import FieldViolation


def non_finite_numbers(
    value: struct_pb2.Struct | struct_pb2.Value, path: str
) -> list[FieldViolation]:
    """A violation for the first NaN/Infinity inside ``value`` (iterative: any depth)."""
    stack: list[tuple[struct_pb2.Struct | struct_pb2.Value | struct_pb2.ListValue, str]] = [
        (value, path)
    ]
    while stack:
        item, where = stack.pop()
        if isinstance(item, struct_pb2.Struct):
            stack.extend((child, f"{where}.{key}") for key, child in item.fields.items())
        elif isinstance(item, struct_pb2.ListValue):
            stack.extend((child, f"{where}[{index}]") for index, child in enumerate(item.values))
        else:
            kind = item.WhichOneof("kind")
            if kind == "struct_value":
                stack.append((item.struct_value, where))
            elif kind == "list_value":
                stack.append((item.list_value, where))
            elif kind == "number_value" and not math.isfinite(item.number_value):
                return [
                    FieldViolation(
                        where,
                        f"{item.number_value} is not a JSON number (numbers must be finite)",
                        "json.finite_number",
                    )
                ]
    return []
