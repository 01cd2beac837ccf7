"""The spec's event examples through the platform: listen-* and emit.yaml.

Each listening example is applied and run as an execution; once its subscription is in
the platform's event registry, the events the `dsl` path's test sends
(backend/services/workflow-runner/tests/events/test_spec_examples_events.py) are
POSTed to the runner's CloudEvents endpoint, as `stigmer emit` does, and the
execution must end with the output that test asserts under `dsl`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from e2e_platform import Platform
from outcomes import RUN_TIMEOUT, platform_outcome
from stigmer_cli.api import StigmerClient
from stigmer_cli.events import cloud_event, emit
from stigmer_dsl.converter import workflow_from_dsl
from stigmer_dsl.loader import parse_document
from stigmer_testing.reference_documents import spec_examples
from workflow_runner.bridge.execute_workflow import engine_workflow_id
from workflow_runner.events.names import registry_workflow_id
from workflow_runner.events.registry import EventRegistryWorkflow

pytestmark = pytest.mark.e2e

TEMPERATURE = "com.fake-hospital.vitals.measurements.temperature"
BPM = "com.fake-hospital.vitals.measurements.bpm"
CHECKED_OUT = "com.fake-hospital.patient.checked-out"


def _same_items(expected: list[Any]) -> Callable[[Any, list[dict[str, Any]]], None]:
    def check(output: Any, sent: list[dict[str, Any]]) -> None:
        assert sorted(output, key=str) == sorted(expected, key=str), output

    return check


def _equals(expected: Any) -> Callable[[Any, list[dict[str, Any]]], None]:
    def check(output: Any, sent: list[dict[str, Any]]) -> None:
        assert output == expected, output

    return check


def _envelopes(output: Any, sent: list[dict[str, Any]]) -> None:
    assert {event["id"] for event in output} == {event["id"] for event in sent}
    assert all(event["specversion"] == "1.0" and "source" in event for event in output)


@dataclass(frozen=True)
class Listening:
    file: str
    events: tuple[tuple[str, Any], ...]
    check: Callable[[Any, list[dict[str, Any]]], None]


LISTENING = (
    Listening("listen-to-any.yaml", (("com.example.whatever", {"n": 1}),), _equals([{"n": 1}])),
    Listening(
        "listen-to-any-filter.yaml",
        ((TEMPERATURE, {"temperature": 37}), (BPM, {"bpm": 110})),
        _equals([{"bpm": 110}]),
    ),
    Listening(
        "listen-to-all.yaml",
        (
            (TEMPERATURE, {"temperature": 39}),
            (TEMPERATURE, {"temperature": 40}),
            (BPM, {"bpm": 120}),
        ),
        _same_items([{"temperature": 39}, {"bpm": 120}]),
    ),
    Listening(
        "listen-to-all-read-envelope.yaml",
        ((BPM, {"bpm": 50}), (TEMPERATURE, {"temperature": 41})),
        _envelopes,
    ),
    Listening(
        "listen-to-any-until-condition.yaml",
        tuple(("com.example.n", {"n": n}) for n in range(4)),
        _equals([{"n": 0}, {"n": 1}, {"n": 2}, {"n": 3}]),
    ),
    Listening(
        "listen-to-any-until-consumed.yaml",
        ((TEMPERATURE, {"temperature": 39}), (BPM, {"bpm": 130}), (CHECKED_OUT, {"patient": "p1"})),
        _equals([{"temperature": 39}, {"bpm": 130}]),
    ),
)
#: Examples run here (the rest of the event examples: see NOT_RUN of the examples test).
FILES = frozenset({*(case.file for case in LISTENING), "emit.yaml"})


def _text(name: str) -> str:
    return next(p for p in spec_examples() if p.name == name).read_text(encoding="utf-8")


async def _start(platform: Platform, client: StigmerClient, text: str) -> str:
    applied = await client.apply_workflow(workflow_from_dsl(parse_document(text))[0])
    execution = await client.start_execution(applied, {})
    return execution.metadata.id


async def _subscribed(platform: Platform, execution_id: str) -> None:
    """Until the execution's engine has a subscription in the platform's event registry."""
    engine_id = engine_workflow_id(execution_id)
    registry = platform.client.get_workflow_handle_for(
        EventRegistryWorkflow.run, registry_workflow_id()
    )
    async with asyncio.timeout(RUN_TIMEOUT):
        while True:
            try:
                status = await registry.query(EventRegistryWorkflow.status)
                if any(s.workflow_id == engine_id for s in status.subscriptions):
                    return
            except Exception:  # the registry starts on the first subscription
                pass
            await asyncio.sleep(0.1)


async def _final(client: StigmerClient, execution_id: str) -> Any:
    last = None
    async with asyncio.timeout(RUN_TIMEOUT):
        async for update in client.subscribe(execution_id):
            last = update
    assert last is not None
    outcome = platform_outcome(last)
    assert outcome.completed, outcome.error
    return outcome.output


def _post(platform: Platform, event_type: str, data: Any) -> dict[str, Any]:
    event = cloud_event(type=event_type, source="https://conformance.local", data=data)
    emit(platform.env["STIGMER_EVENTS_ADDRESS"], event)
    return event


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("case", LISTENING, ids=lambda c: c.file)
async def test_listen_example_on_the_platform(shared_platform: Platform, case: Listening) -> None:
    async with StigmerClient(shared_platform.server.address) as client:
        execution_id = await _start(shared_platform, client, _text(case.file))
        await _subscribed(shared_platform, execution_id)
        sent = [
            await asyncio.to_thread(_post, shared_platform, event_type, data)
            for event_type, data in case.events
        ]
        output = await _final(client, execution_id)
    case.check(output, sent)


@pytest.mark.asyncio(loop_scope="session")
async def test_emit_example_reaches_a_listening_execution(shared_platform: Platform) -> None:
    listener = (
        "document: {dsl: '1.0.3', namespace: test, name: order-listener, version: '0.1.0'}\n"
        "do:\n  - wait:\n      listen:\n        to:\n          one:\n            with:\n"
        "              type: com.petstore.order.placed.v1\n"
    )
    async with StigmerClient(shared_platform.server.address) as client:
        waiting = await _start(shared_platform, client, listener)
        await _subscribed(shared_platform, waiting)
        emitter = await _start(shared_platform, client, _text("emit.yaml"))
        emitted = await _final(client, emitter)
        [order] = await _final(client, waiting)
    assert emitted["type"] == "com.petstore.order.placed.v1"
    assert order["client"] == {"firstName": "Cruella", "lastName": "de Vil"}
    assert order["items"] == [{"breed": "dalmatian", "quantity": 101}]
