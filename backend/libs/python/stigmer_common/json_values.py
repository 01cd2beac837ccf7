"""JSON values across ``google.protobuf.Struct``/``Value``, integers kept integers.

``Struct`` stores every number as a double, so ``{"n": 5}`` comes back from
``MessageToDict`` as ``{"n": 5.0}``. JSON itself has one number type and every
JSON tool (jq included) prints an integral number without a fraction, so on
the way out of a Struct an integral double within the exactly representable
range (|n| <= 2**53) becomes an ``int``; anything else stays a ``float``.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format, struct_pb2

#: Largest magnitude up to which every integer is exactly a double.
_EXACT = 2**53


def plain_json(value: Any) -> Any:
    """``value`` with integral floats turned into ints, recursively (a new value)."""
    if isinstance(value, float):
        if value.is_integer() and -_EXACT <= value <= _EXACT:
            return int(value)
        return value
    if isinstance(value, dict):
        return {key: plain_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain_json(item) for item in value]
    return value


def from_struct(message: struct_pb2.Struct | struct_pb2.Value | struct_pb2.ListValue) -> Any:
    """The JSON value a ``Struct``/``Value``/``ListValue`` holds, integers as ints."""
    return plain_json(json_format.MessageToDict(message))
