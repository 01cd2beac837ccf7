"""The event registry on a real dev server, with a minimal listening workflow.

These pin the bus's own guarantees (routing, lifecycle isolation, dedupe,
correlation, HTTP ingestion) independently of the DSL engine.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from temporalio import workflow
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from workflow_runner.events.cloudevent import new_event
from workflow_runner.events.http_endpoint import CloudEventsEndpoint
from workflow_runner.events.publisher import BusConfig, EventPublisher
from workflow_runner.events.registration import bus_activities, bus_workflows
from workflow_runner.events.registry import EventRegistryWorkflow, RegistryStatus
from workflow_runner.events.workflow_bus import RegistryEventBus

pytestmark = pytest.mark.integration

# A minimal listening workflow: subscribes through the real RegistryEventBus hook and
# collects `cloudevent` signals, as the engine's listen task does.


@dataclass
class ListenInput:
    filters: list[dict[str, Any]] = field(default_factory=list)
    count: int = 1
    reference: str = "/do/0/listen"


@workflow.defn(name="TestEventListener", sandboxed=False)
class EventListenerWorkflow:
    def __init__(self) -> None:
        self._events: list[dict[str, Any]] = []
        self._subscribed = False

    @workflow.run
    async def run(self, request: ListenInput) -> list[dict[str, Any]]:
        bus = RegistryEventBus()
        await bus.subscribe(request.reference, request.filters)
        self._subscribed = True
        await workflow.wait_condition(lambda: len(self._events) >= request.count)
        await bus.unsubscribe(request.reference)
        return self._events

    @workflow.signal(name="cloudevent")
    def cloudevent(self, event: dict[str, Any]) -> None:
        self._events.append(event)

    @workflow.query
    def subscribed(self) -> bool:
        return self._subscribed

    @workflow.query
    def received(self) -> list[dict[str, Any]]:
        return self._events


@asynccontextmanager
async def bus_worker(client: Client, config: BusConfig) -> AsyncIterator[None]:
    async with Worker(
        client,
        task_queue=config.task_queue,
        workflows=[*bus_workflows(), EventListenerWorkflow],
        activities=bus_activities(client, config),
    ):
        yield


async def start_listener(
    client: Client, config: BusConfig, filters: list[dict[str, Any]], count: int = 1
) -> WorkflowHandle[Any, Any]:
    handle = await client.start_workflow(
        EventListenerWorkflow.run,
        ListenInput(filters=filters, count=count),
        id=f"listener-{uuid.uuid4()}",
        task_queue=config.task_queue,
    )
    for _ in range(200):
        if await handle.query(EventListenerWorkflow.subscribed):
            return handle
        await asyncio.sleep(0.05)
    raise AssertionError("listener never subscribed")


async def done(handle: WorkflowHandle[Any, Any]) -> list[dict[str, Any]]:
    """The listener's events; a bounded wait so a routing bug fails instead of hanging."""
    return list(await asyncio.wait_for(handle.result(), timeout=30))


async def received(handle: WorkflowHandle[Any, Any]) -> list[dict[str, Any]]:
    return list(await handle.query(EventListenerWorkflow.received))


async def registry_status(client: Client, config: BusConfig) -> RegistryStatus:
    handle = client.get_workflow_handle_for(EventRegistryWorkflow.run, config.registry_id)
    return await handle.query(EventRegistryWorkflow.status)


async def settle(client: Client, config: BusConfig) -> None:
    """Wait until the registry has forwarded everything it queued."""
    for _ in range(200):
        if (await registry_status(client, config)).pending == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("registry did not drain")


async def test_routes_by_type_and_skips_non_matching(
    env: WorkflowEnvironment, bus_config: BusConfig
) -> None:
    client = env.client
    publisher = EventPublisher(client, bus_config)
    async with bus_worker(client, bus_config):
        temp = await start_listener(client, bus_config, [{"with": {"type": "vitals.temp"}}])
        bpm = await start_listener(client, bus_config, [{"with": {"type": "vitals.bpm"}}])
        await publisher.publish(new_event(type="vitals.temp", source="test", data={"t": 39}))
        assert [e["data"] for e in await done(temp)] == [{"t": 39}]
        await settle(client, bus_config)
        assert await received(bpm) == []
        await publisher.publish(new_event(type="vitals.bpm", source="test", data={"b": 50}))
        assert [e["data"] for e in await done(bpm)] == [{"b": 50}]


async def test_regex_type_and_listen_to_all_events(
    env: WorkflowEnvironment, bus_config: BusConfig
) -> None:
    client = env.client
    publisher = EventPublisher(client, bus_config)
    async with bus_worker(client, bus_config):
        regex = await start_listener(client, bus_config, [{"with": {"type": r"com\.acme\..*"}}])
        everything = await start_listener(client, bus_config, [], count=2)
        await publisher.publish(new_event(type="org.other", source="s"))
        await publisher.publish(new_event(type="com.acme.order", source="s"))
        assert [e["type"] for e in await done(regex)] == ["com.acme.order"]
        assert [e["type"] for e in await done(everything)] == ["org.other", "com.acme.order"]


async def test_republished_event_is_delivered_once(
    env: WorkflowEnvironment, bus_config: BusConfig
) -> None:
    client = env.client
    publisher = EventPublisher(client, bus_config)
    async with bus_worker(client, bus_config):
        listener = await start_listener(client, bus_config, [], count=2)
        event = new_event(type="t", source="s", data=1)
        await publisher.publish(event)
        await publisher.publish(event)  # a retried publish: same source + id
        await publisher.publish(new_event(type="t", source="s", data=2))
        events = await done(listener)
        assert [e["data"] for e in events] == [1, 2]


async def test_lifecycle_events_reach_only_listeners_asking_for_them(
    env: WorkflowEnvironment, bus_config: BusConfig
) -> None:
    client = env.client
    publisher = EventPublisher(client, bus_config)
    started = "io.serverlessworkflow.workflow.started.v1"
    async with bus_worker(client, bus_config):
        anything = await start_listener(client, bus_config, [])
        asking = await start_listener(client, bus_config, [{"with": {"type": started}}])
        await publisher.publish(new_event(type=started, source="stigmer://workflow-runner"))
        assert [e["type"] for e in await done(asking)] == [started]
        await settle(client, bus_config)
        assert await received(anything) == []


async def test_correlation_routes_each_event_to_its_own_listener(
    env: WorkflowEnvironment, bus_config: BusConfig
) -> None:
    client = env.client
    publisher = EventPublisher(client, bus_config)

    def by_patient(patient: str) -> list[dict[str, Any]]:
        return [
            {
                "with": {"type": "vitals"},
                "correlate": {"patient": {"from": "${ .data.patient }", "expect": patient}},
            }
        ]

    async with bus_worker(client, bus_config):
        alice = await start_listener(client, bus_config, by_patient("alice"))
        bob = await start_listener(client, bus_config, by_patient("bob"))
        await publisher.publish(new_event(type="vitals", source="s", data={"patient": "bob"}))
        await publisher.publish(new_event(type="vitals", source="s", data={"patient": "alice"}))
        assert [e["data"]["patient"] for e in await done(alice)] == ["alice"]
        assert [e["data"]["patient"] for e in await done(bob)] == ["bob"]


async def test_correlation_without_expect_learns_the_first_value(
    env: WorkflowEnvironment, bus_config: BusConfig
) -> None:
    client = env.client
    publisher = EventPublisher(client, bus_config)
    filters = [{"with": {"type": "v"}, "correlate": {"p": {"from": ".data.p"}}}]
    async with bus_worker(client, bus_config):
        listener = await start_listener(client, bus_config, filters, count=2)
        for p in ("x", "y", "x"):
            await publisher.publish(new_event(type="v", source="s", data={"p": p}))
        assert [e["data"]["p"] for e in await done(listener)] == ["x", "x"]


async def test_unsubscribed_listener_gets_nothing(
    env: WorkflowEnvironment, bus_config: BusConfig
) -> None:
    client = env.client
    publisher = EventPublisher(client, bus_config)
    async with bus_worker(client, bus_config):
        listener = await start_listener(client, bus_config, [])
        await publisher.publish(new_event(type="first", source="s"))
        await done(listener)  # it unsubscribes before completing
        assert (await registry_status(client, bus_config)).subscriptions == []


async def test_http_endpoint_structured_and_binary(
    env: WorkflowEnvironment, bus_config: BusConfig
) -> None:
    client = env.client
    publisher = EventPublisher(client, bus_config)
    endpoint = CloudEventsEndpoint(publisher.publish, asyncio.get_running_loop()).start()
    try:
        async with bus_worker(client, bus_config), httpx.AsyncClient() as http:
            listener = await start_listener(client, bus_config, [{"with": {"type": "ext"}}], 2)
            structured = new_event(type="ext", source="curl", data={"mode": "structured"})
            reply = await http.post(
                endpoint.url,
                content=json.dumps(structured),
                headers={"Content-Type": "application/cloudevents+json"},
            )
            assert reply.status_code == 202, reply.text
            reply = await http.post(
                endpoint.url,
                content=json.dumps({"mode": "binary"}),
                headers={
                    "Content-Type": "application/json",
                    "ce-specversion": "1.0",
                    "ce-id": "b-1",
                    "ce-source": "curl",
                    "ce-type": "ext",
                },
            )
            assert reply.status_code == 202, reply.text
            events = await done(listener)
            assert [e["data"]["mode"] for e in events] == ["structured", "binary"]
            assert events[1]["id"] == "b-1"
            bad = await http.post(endpoint.url, content=b"{}", headers={"ce-id": "x"})
            assert bad.status_code == 400
            assert "ce-source" in bad.json()["error"]
    finally:
        endpoint.stop()


async def test_registry_continues_as_new_and_keeps_subscriptions(
    env: WorkflowEnvironment, bus_config: BusConfig
) -> None:
    from workflow_runner.events.names import SUBSCRIBE_SIGNAL
    from workflow_runner.events.registry import RegistryState, Subscription

    client = env.client
    publisher = EventPublisher(client, bus_config)
    async with bus_worker(client, bus_config):
        # A registry with a tiny history budget, started before anyone uses it.
        await client.start_workflow(
            EventRegistryWorkflow.run,
            RegistryState(max_history_events=60),
            id=bus_config.registry_id,
            task_queue=bus_config.task_queue,
            start_signal=SUBSCRIBE_SIGNAL,
            start_signal_args=[Subscription("noop", "nobody-here", [{"with": {"type": "z"}}])],
        )
        listener = await start_listener(client, bus_config, [], count=40)
        for i in range(40):
            await publisher.publish(new_event(type="n", source="s", data=i))
        events = await done(listener)
        assert [e["data"] for e in events] == list(range(40))
        runs = [w async for w in client.list_workflows(f"WorkflowId = '{bus_config.registry_id}'")]
        assert len(runs) > 3, "the registry did not continue as new within its budget"
        assert all(w.history_length < 150 for w in runs)
        status = await registry_status(client, bus_config)
        assert status.history_length < 150
        assert status.delivered_total == 40


async def test_subscriptions_of_terminated_listeners_are_pruned(
    env: WorkflowEnvironment, bus_config: BusConfig
) -> None:
    from workflow_runner.events.names import SUBSCRIBE_SIGNAL
    from workflow_runner.events.registry import RegistryState, Subscription

    client = env.client
    async with bus_worker(client, bus_config):
        await client.start_workflow(
            EventRegistryWorkflow.run,
            RegistryState(prune_interval_seconds=0.5),
            id=bus_config.registry_id,
            task_queue=bus_config.task_queue,
            start_signal=SUBSCRIBE_SIGNAL,
            start_signal_args=[Subscription("ghost", f"never-existed-{uuid.uuid4()}", [])],
        )
        alive = await start_listener(client, bus_config, [{"with": {"type": "a"}}])
        doomed = await start_listener(client, bus_config, [{"with": {"type": "b"}}])
        await doomed.terminate("gone without unsubscribing")
        for _ in range(100):
            remaining = {
                s.workflow_id for s in (await registry_status(client, bus_config)).subscriptions
            }
            if remaining == {alive.id}:
                break
            await asyncio.sleep(0.1)
        assert remaining == {alive.id}
        await alive.terminate("test over")
