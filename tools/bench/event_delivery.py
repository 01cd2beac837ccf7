"""Benchmark: delivering a CloudEvent through the event registry vs a bare Temporal signal.

One local dev server, one worker, one run. The same minimal listening workflow
receives events either straight from the client (``handle.signal("cloudevent",
event)``: the baseline, what a broker-less design cannot go below) or through
the bus (``EventPublisher.publish`` -> registry workflow -> ``cloudevent``
signal to each subscribed execution). Two scenarios:

* ``latency``: ``--rounds`` times, a fresh listener waits for one event; the
  time from publish/signal to the listener's completion, median and p90;
* ``burst``: one listener receives ``--burst`` events sent back to back; total
  time per event.

History events per event are counted from the histories: the listener's for the
baseline; the listener's plus the registry's share (its history length divided
by the events it handled) for the bus. Ratios bus / bare are printed.

Run (from the repository root)::

    PYTHONPATH=backend/services/workflow-runner:backend/libs/python \\
        .venv/bin/python tools/bench/event_delivery.py --rounds 20 --burst 200
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from typing import Any

from stigmer_common.temporal_dev_server import start_dev_server
from temporalio import workflow
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker
from workflow_runner.events.cloudevent import new_event
from workflow_runner.events.publisher import BusConfig, EventPublisher
from workflow_runner.events.registration import bus_activities, bus_workflows
from workflow_runner.events.workflow_bus import RegistryEventBus


@dataclass
class BenchListenInput:
    count: int
    subscribe: bool


@workflow.defn(name="BenchEventListener", sandboxed=False)
class BenchListener:
    """Waits for ``count`` cloudevent signals; subscribes to the bus first when asked."""

    def __init__(self) -> None:
        self._events: list[dict[str, Any]] = []
        self._ready = False

    @workflow.run
    async def run(self, request: BenchListenInput) -> int:
        bus = RegistryEventBus()
        if request.subscribe:
            await bus.subscribe("/bench", [{"with": {"type": "bench.event"}}])
        self._ready = True
        await workflow.wait_condition(lambda: len(self._events) >= request.count)
        if request.subscribe:
            await bus.unsubscribe("/bench")
        return len(self._events)

    @workflow.signal(name="cloudevent")
    def cloudevent(self, event: dict[str, Any]) -> None:
        self._events.append(event)

    @workflow.query
    def ready(self) -> bool:
        return self._ready


async def _history_length(client: Client, workflow_id: str, run_id: str | None = None) -> int:
    history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    return len(history.events)


async def _registry_history(client: Client, bus: BusConfig) -> int:
    total = 0
    async for run in client.list_workflows(f"WorkflowId = '{bus.registry_id}'"):
        total += await _history_length(client, run.id, run.run_id)
    return total


async def _start_listener(
    client: Client, queue: str, count: int, subscribe: bool
) -> WorkflowHandle[Any, Any]:
    handle = await client.start_workflow(
        BenchListener.run,
        BenchListenInput(count=count, subscribe=subscribe),
        id=f"bench-{uuid.uuid4()}",
        task_queue=queue,
    )
    for _ in range(1000):
        if await handle.query(BenchListener.ready):
            return handle
        await asyncio.sleep(0.01)
    raise RuntimeError(f"listener {handle.id} never became ready")


async def _deliver(mode: str, handle: WorkflowHandle[Any, Any], publisher: EventPublisher) -> None:
    event = new_event(type="bench.event", source="bench", data={"n": 1})
    if mode == "bare":
        await handle.signal("cloudevent", event)
    else:
        await publisher.publish(event)


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]


async def bench(rounds: int, burst: int) -> dict[str, Any]:
    env = await start_dev_server()
    client = env.client
    queue = f"bench-events-{uuid.uuid4()}"
    bus = BusConfig(task_queue=queue, bus=f"bench-{uuid.uuid4().hex[:8]}")
    publisher = EventPublisher(client, bus)
    results: dict[str, Any] = {"rounds": rounds, "burst": burst}
    try:
        async with Worker(
            client,
            task_queue=queue,
            workflows=[*bus_workflows(), BenchListener],
            activities=bus_activities(client, bus),
        ):
            # Warm up both paths (starts the registry, primes caches).
            for mode in ("bare", "bus"):
                h = await _start_listener(client, queue, 1, mode == "bus")
                await _deliver(mode, h, publisher)
                await h.result()
            registry_before = await _registry_history(client, bus)

            latency: dict[str, list[float]] = {"bare": [], "bus": []}
            listener_events: dict[str, list[int]] = {"bare": [], "bus": []}
            for _ in range(rounds):
                for mode in ("bare", "bus"):  # alternate so drift hits both alike
                    h = await _start_listener(client, queue, 1, mode == "bus")
                    started = time.perf_counter()
                    await _deliver(mode, h, publisher)
                    await h.result()
                    latency[mode].append((time.perf_counter() - started) * 1000)
                    listener_events[mode].append(await _history_length(client, h.id))
            registry_latency = await _registry_history(client, bus) - registry_before

            for mode in ("bare", "bus"):
                results[f"latency_{mode}_median_ms"] = round(statistics.median(latency[mode]), 2)
                results[f"latency_{mode}_p90_ms"] = round(_p90(latency[mode]), 2)
            results["latency_ratio_median"] = round(
                results["latency_bus_median_ms"] / results["latency_bare_median_ms"], 2
            )
            bare_per_event = statistics.mean(listener_events["bare"])
            bus_listener = statistics.mean(listener_events["bus"])
            results["history_events_per_event_bare"] = round(bare_per_event, 1)
            results["history_events_per_event_bus_listener"] = round(bus_listener, 1)
            results["history_events_per_event_bus_registry"] = round(registry_latency / rounds, 1)
            results["history_events_ratio_single"] = round(
                (bus_listener + registry_latency / rounds) / bare_per_event, 2
            )

            # Burst: one listener, many events back to back.
            for mode in ("bare", "bus"):
                before = await _registry_history(client, bus)
                h = await _start_listener(client, queue, burst, mode == "bus")
                listener_start = await _history_length(client, h.id)
                started = time.perf_counter()
                for _ in range(burst):
                    await _deliver(mode, h, publisher)
                await h.result()
                elapsed = time.perf_counter() - started
                listener_added = await _history_length(client, h.id) - listener_start
                registry_added = (
                    (await _registry_history(client, bus) - before) if mode == "bus" else 0
                )
                results[f"burst_{mode}_ms_per_event"] = round(elapsed * 1000 / burst, 2)
                results[f"burst_{mode}_history_per_event"] = round(
                    (listener_added + registry_added) / burst, 2
                )
            results["burst_time_ratio"] = round(
                results["burst_bus_ms_per_event"] / results["burst_bare_ms_per_event"], 2
            )
            results["burst_history_ratio"] = round(
                results["burst_bus_history_per_event"] / results["burst_bare_history_per_event"], 2
            )
    finally:
        await env.shutdown()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20, help="single-event rounds per path")
    parser.add_argument("--burst", type=int, default=200, help="events in the burst scenario")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(bench(args.rounds, args.burst)), indent=2))
    return 0


if __name__ == "__main__":
    code = main()
    # Temporal SDK processes can abort at interpreter finalisation; exit hard.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
