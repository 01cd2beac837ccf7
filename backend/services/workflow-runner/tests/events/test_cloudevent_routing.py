"""Pure parts of the bus: CloudEvent validation and HTTP modes, prefilters, correlation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from workflow_runner.events.cloudevent import CloudEventError, from_http, new_event, validate
from workflow_runner.events.correlation import correlates, resolve_expectations
from workflow_runner.events.filters import subscription_wants


def test_validate_names_the_attribute() -> None:
    with pytest.raises(CloudEventError, match="'source' is required"):
        validate({"id": "1", "type": "t", "specversion": "1.0"})
    with pytest.raises(CloudEventError, match=r"'specversion' must be '1\.0'"):
        validate({"id": "1", "type": "t", "source": "s", "specversion": "0.3"})


def test_new_event_fills_id_time_and_content_type() -> None:
    event = new_event(type="t", source="s", data={"a": 1})
    assert event["specversion"] == "1.0" and event["id"] and event["time"].endswith("Z")
    assert event["datacontenttype"] == "application/json"


def test_http_structured_batch_and_binary() -> None:
    one = new_event(type="t", source="s")
    assert from_http(
        {"Content-Type": "application/cloudevents+json; charset=utf-8"}, json.dumps(one).encode()
    ) == [one]
    two = [one, new_event(type="u", source="s")]
    batch = from_http(
        {"content-type": "application/cloudevents-batch+json"}, json.dumps(two).encode()
    )
    assert [e["type"] for e in batch] == ["t", "u"]
    headers = {"ce-id": "1", "ce-source": "s", "ce-type": "t", "ce-specversion": "1.0"}
    [text] = from_http({**headers, "Content-Type": "text/plain"}, b"hello")
    assert text["data"] == "hello" and text["datacontenttype"] == "text/plain"
    [binary] = from_http({**headers, "Content-Type": "application/octet-stream"}, b"\x00\x01")
    assert binary["data_base64"] == "AAE="
    with pytest.raises(CloudEventError, match="no ce-\\* headers"):
        from_http({"Content-Type": "application/json"}, b"{}")


def test_prefilter_leaves_expressions_to_the_listener() -> None:
    event = {"type": "vitals", "source": "s", "data": {"temperature": 30}}
    # The data expression is false for this event, but only the listener evaluates it.
    assert subscription_wants(
        [{"with": {"type": "vitals", "data": "${ .temperature > 38 }"}}], event
    )
    assert not subscription_wants([{"with": {"type": "other"}}], event)
    assert subscription_wants([{"with": {"type": "${ true }"}}], event)


def test_lifecycle_only_when_named() -> None:
    event = {"type": "io.serverlessworkflow.task.started.v1", "source": "s"}
    assert not subscription_wants([], event)
    assert not subscription_wants([{"with": {"type": ".*"}}], event)
    assert subscription_wants([{"with": {"type": "io.serverlessworkflow.task.started.v1"}}], event)


def test_resolve_expectations_evaluates_only_expressions() -> None:
    filters: list[dict[str, Any]] = [
        {
            "with": {"type": "t"},
            "correlate": {
                "a": {"from": ".data.a", "expect": "${ .x }"},
                "b": {"from": ".data.b", "expect": "lit"},
            },
        }
    ]
    resolved = resolve_expectations(filters, lambda expression, where: f"<{expression}@{where}>")
    assert resolved[0]["correlate"]["a"]["expect"] == "<${ .x }@listen/to/0/correlate/a/expect>"
    assert resolved[0]["correlate"]["b"]["expect"] == "lit"
    assert filters[0]["correlate"]["a"]["expect"] == "${ .x }"  # input untouched


def test_correlates_compares_and_learns() -> None:
    f = {"correlate": {"p": {"from": "${ .data.p }"}}}
    learned: dict[str, object] = {}
    assert correlates(f, {"data": {"p": 1}}, learned, filter_index=0)
    assert learned == {"0/p": 1}
    assert not correlates(f, {"data": {"p": 2}}, learned, filter_index=0)
    assert correlates(
        {"correlate": {"p": {"from": ".data.p", "expect": 2}}},
        {"data": {"p": 2}},
        {},
        filter_index=0,
    )
