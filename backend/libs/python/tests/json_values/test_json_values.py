"""Struct round trips keep JSON integers integers (Struct holds doubles only)."""

from __future__ import annotations

from google.protobuf import json_format, struct_pb2
from stigmer_common.json_values import from_struct, plain_json


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
