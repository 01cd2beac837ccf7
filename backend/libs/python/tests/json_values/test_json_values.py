"""Struct round trips keep JSON integers integers (Struct holds doubles only)."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf import json_format, struct_pb2
from stigmer_common.json_values import from_struct, plain_json, to_value


def test_struct_round_trip_keeps_integers() -> None:
    struct = struct_pb2.Struct()
    struct.update({"n": 5, "nested": [1, {"m": -7}], "half": 0.5, "flag": True, "none": None})
    assert json_format.MessageToDict(struct)["n"] == 5.0  # what the bare conversion gives
    value = from_struct(struct)
    assert value == {"n": 5, "nested": [1, {"m": -7}], "half": 0.5, "flag": True, "none": None}
    assert type(value["n"]) is int
    assert type(value["nested"][1]["m"]) is int
    assert type(value["half"]) is float
    assert type(value["flag"]) is bool


def test_only_exact_integers_become_ints() -> None:
    assert type(plain_json(2.0**53)) is int
    assert type(plain_json(2.0**60)) is float  # beyond exact doubles: left alone
    assert plain_json(float("inf")) == float("inf")


SAMPLES = [
    {"step": 5, "sum": 15, "name": "é", "nested": {"a": [1, 2, 3.5], "b": True, "c": None}},
    {},
    [],
    [{}, []],
    {"a": {}, "b": []},
    1,
    2.5,
    "s",
    None,
    True,
    False,
    -(2**53),
    [None, [1, [2]]],
]


@pytest.mark.parametrize("data", SAMPLES, ids=repr)
def test_to_value_and_back_agree_with_json_format(data: Any) -> None:
    """The direct walk builds the bytes json_format would, and reads back the same JSON."""
    expected = struct_pb2.Value()
    json_format.ParseDict(data, expected)
    value = to_value(data)
    assert value.SerializeToString(deterministic=True) == expected.SerializeToString(
        deterministic=True
    )
    assert from_struct(value) == plain_json(json_format.MessageToDict(expected))
    assert from_struct(value) == data


def test_to_value_refuses_what_json_cannot_hold() -> None:
    with pytest.raises(TypeError):
        to_value({1: "non-string key"})
    with pytest.raises(TypeError):
        to_value({"bytes": b"x"})
    with pytest.raises(OverflowError):
        to_value(10**400)


def test_from_struct_refuses_non_finite_numbers_and_reads_unset_as_null() -> None:
    with pytest.raises(ValueError):
        from_struct(struct_pb2.Value(number_value=float("nan")))
    assert from_struct(struct_pb2.Value()) is None
    listed = struct_pb2.ListValue()
    listed.values.add().number_value = 3
    assert from_struct(listed) == [3]
