"""The spec's listen-*.yaml and emit.yaml examples on the wired engine, events from a
second execution or from the bus, on a real dev server."""

from __future__ import annotations

import asyncio

import pytest
from stigmer_testing.reference_data import spec_dir
from tests.events.events_harness import RecordingServer, WiredEngine, is_running, result

pytestmark = pytest.mark.integration

TEMPERATURE = "com.fake-hospital.vitals.measurements.temperature"
BPM = "com.fake-hospital.vitals.measurements.bpm"


def example(name: str) -> str:
    return (spec_dir() / "examples" / name).read_text(encoding="utf-8")


async def test_emit_example_reaches_a_listening_execution(wired: WiredEngine) -> None:
    listener = await wired.start(
        "document: {dsl: '1.0.3', namespace: test, name: order-listener, version: '0.1.0'}\n"
        "do:\n  - wait:\n      listen:\n        to:\n          one:\n            with:\n"
        "              type: com.petstore.order.placed.v1\n"
    )
    await wired.subscribed(listener)
    emitter = await wired.start(example("emit.yaml"))
    emitted = await result(emitter)
    assert emitted["type"] == "com.petstore.order.placed.v1"
    [order] = await result(listener)
    assert order["client"] == {"firstName": "Cruella", "lastName": "de Vil"}
    assert order["items"] == [{"breed": "dalmatian", "quantity": 101}]


async def test_listen_to_one(wired: WiredEngine, recording_http: RecordingServer) -> None:
    definition = example("listen-to-one.yaml").replace(
        "https://virtual-wf-powered-race.com", recording_http.url
    )
    handle = await wired.start(definition, {"carId": 7})
    await wired.subscribed(handle)
    await wired.emit("com.virtual-wf-powered-race.events.race.other.v1", {"x": 1})
    await wired.settle()
    assert await is_running(handle)
    await wired.emit("com.virtual-wf-powered-race.events.race.started.v1", {"go": True})
    assert await result(handle) == {"ok": True}
    # The call's input is the listen output (a list), so `{carId}` expands to nothing.
    assert [r["path"] for r in recording_http.requests] == ["/api/v4/cars//start"]


async def test_listen_to_all_completes_only_after_both(wired: WiredEngine) -> None:
    handle = await wired.start(example("listen-to-all.yaml"))
    await wired.subscribed(handle)
    await wired.emit(TEMPERATURE, {"temperature": 39})
    await wired.emit(TEMPERATURE, {"temperature": 40})  # a second of the same kind is not "all"
    await wired.settle()
    await asyncio.sleep(0.3)
    assert await is_running(handle)
    await wired.emit(BPM, {"bpm": 120})
    output = await result(handle)
    assert sorted(output, key=str) == sorted([{"temperature": 39}, {"bpm": 120}], key=str)


async def test_listen_to_all_read_envelope(wired: WiredEngine) -> None:
    handle = await wired.start(example("listen-to-all-read-envelope.yaml"))
    await wired.subscribed(handle)
    bpm = await wired.emit(BPM, {"bpm": 50})
    temperature = await wired.emit(TEMPERATURE, {"temperature": 41})
    output = await result(handle)
    assert {e["id"] for e in output} == {bpm["id"], temperature["id"]}
    assert all(e["specversion"] == "1.0" and "source" in e for e in output)


async def test_listen_to_any_filter_skips_events_failing_the_data_expression(
    wired: WiredEngine,
) -> None:
    handle = await wired.start(example("listen-to-any-filter.yaml"))
    await wired.subscribed(handle)
    await wired.emit(TEMPERATURE, {"temperature": 37})  # type matches, data does not
    await wired.settle()
    await asyncio.sleep(0.3)
    assert await is_running(handle)
    await wired.emit(BPM, {"bpm": 110})
    assert await result(handle) == [{"bpm": 110}]


async def test_listen_to_any_empty_takes_any_event(wired: WiredEngine) -> None:
    handle = await wired.start(example("listen-to-any.yaml"))
    await wired.subscribed(handle)
    await wired.emit("com.example.whatever", {"n": 1})
    assert await result(handle) == [{"n": 1}]


async def test_listen_to_any_until_condition(wired: WiredEngine) -> None:
    handle = await wired.start(example("listen-to-any-until-condition.yaml"))
    await wired.subscribed(handle)
    for n in range(3):
        await wired.emit("com.example.n", {"n": n})
    await wired.settle()
    await asyncio.sleep(0.3)
    assert await is_running(handle)  # (. | length) > 3 needs a fourth
    await wired.emit("com.example.n", {"n": 3})
    assert await result(handle) == [{"n": 0}, {"n": 1}, {"n": 2}, {"n": 3}]


async def test_listen_to_any_until_consumed_excludes_the_until_event(
    wired: WiredEngine,
) -> None:
    handle = await wired.start(example("listen-to-any-until-consumed.yaml"))
    await wired.subscribed(handle)
    await wired.emit(TEMPERATURE, {"temperature": 39})
    await wired.emit(BPM, {"bpm": 130})
    await wired.emit("com.fake-hospital.patient.checked-out", {"patient": "p1"})
    assert await result(handle) == [{"temperature": 39}, {"bpm": 130}]


# listen-to-any-forever-foreach.yaml: see test_listen_foreach_streaming.py (needs a local
# chat server and a low continue-as-new threshold).


async def test_two_listeners_with_different_correlation_keys(wired: WiredEngine) -> None:
    definition = (
        "document: {dsl: '1.0.3', namespace: test, name: correlated, version: '0.1.0'}\n"
        "do:\n  - waitForResult:\n      listen:\n        to:\n          one:\n"
        "            with:\n              type: com.lab.result\n"
        "            correlate:\n              patient:\n"
        "                from: ${ .data.patientId }\n"
        "                expect: ${ .patientId }\n"
    )
    alice = await wired.start(definition, {"patientId": "alice"})
    bob = await wired.start(definition, {"patientId": "bob"})
    await wired.subscribed(alice)
    await wired.subscribed(bob)
    await wired.emit("com.lab.result", {"patientId": "bob", "value": 2})
    await wired.emit("com.lab.result", {"patientId": "alice", "value": 1})
    assert await result(alice) == [{"patientId": "alice", "value": 1}]
    assert await result(bob) == [{"patientId": "bob", "value": 2}]
    # Each execution received exactly one event signal: its own.
    for handle in (alice, bob):
        history = await handle.fetch_history()
        signals = [
            e for e in history.events if e.HasField("workflow_execution_signaled_event_attributes")
        ]
        assert len(signals) == 1


async def test_lifecycle_events_reach_only_a_listener_asking(wired: WiredEngine) -> None:
    watcher = await wired.start(
        "document: {dsl: '1.0.3', namespace: test, name: watcher, version: '0.1.0'}\n"
        "do:\n  - watch:\n      listen:\n        to:\n          one:\n            with:\n"
        "              type: io.serverlessworkflow.workflow.completed.v1\n"
        "        read: envelope\n"
    )
    bystander = await wired.start(example("listen-to-any.yaml"))
    await wired.subscribed(watcher)
    await wired.subscribed(bystander)
    worker_wf = await wired.start(
        "document: {dsl: '1.0.3', namespace: test, name: busy, version: '0.1.0'}\n"
        "do:\n  - s:\n      set:\n        done: true\n",
        lifecycle=True,
    )
    assert await result(worker_wf) == {"done": True}
    [completed] = await result(watcher)
    assert completed["data"]["output"] == {"done": True}
    assert completed["subject"] == worker_wf.id
    await wired.settle()
    assert await is_running(bystander)  # lifecycle events never reached `any: []`
    await wired.emit("com.example.other", {"n": 1})
    assert await result(bystander) == [{"n": 1}]


async def test_batched_lifecycle_events_arrive_complete_and_in_order(wired: WiredEngine) -> None:
    watcher = await wired.start(
        "document: {dsl: '1.0.3', namespace: test, name: task-watcher, version: '0.1.0'}\n"
        "do:\n  - watch:\n      listen:\n        to:\n          any:\n"
        "            - with: {type: io.serverlessworkflow.task.completed.v1}\n"
        "          until: '( . | length ) >= 3'\n"
        "        read: data\n"
    )
    await wired.subscribed(watcher)
    steps = "".join(f"  - step{i}:\n      set:\n        n: {i}\n" for i in range(3))
    busy = await wired.start(
        "document: {dsl: '1.0.3', namespace: test, name: three, version: '0.1.0'}\ndo:\n" + steps,
        lifecycle=True,
    )
    assert await result(busy) == {"n": 2}
    completed = await result(watcher)
    assert [e["task"] for e in completed] == ["/do/0/step0", "/do/1/step1", "/do/2/step2"]
    assert [e["output"] for e in completed] == [{"n": 0}, {"n": 1}, {"n": 2}]
