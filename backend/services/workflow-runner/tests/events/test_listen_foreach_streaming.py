"""`listen ... foreach` streams events through its body and keeps history bounded.

A dedicated dev server suggests continue-as-new after 150 history events so a
hundred events exercise several restarts in seconds.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from stigmer_common.payload_codec import KeyRing, encrypted_data_converter
from stigmer_common.temporal_dev_server import start_dev_server
from stigmer_testing.reference_data import spec_dir
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from tests.events.events_harness import RecordingServer, WiredEngine, is_running, result
from workflow_runner.activities.io_activities import build_io_activities
from workflow_runner.events.publisher import BusConfig, EventPublisher
from workflow_runner.wiring.worker import EngineProviders, build_engine_worker

pytestmark = pytest.mark.integration

SUGGEST_AFTER = 150


@pytest.fixture(scope="module")
async def low_limit_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await start_dev_server(
        "--dynamic-config-value", f"limit.historyCount.suggestContinueAsNew={SUGGEST_AFTER}"
    )
    yield env
    await env.shutdown()


@pytest.fixture
async def low_limit_wired(low_limit_env: WorkflowEnvironment) -> AsyncIterator[WiredEngine]:
    client = Client(
        low_limit_env.client.service_client,
        namespace=low_limit_env.client.namespace,
        data_converter=encrypted_data_converter(KeyRing.generate()),
    )
    suffix = uuid.uuid4().hex[:10]
    bus = BusConfig(task_queue=f"stream-{suffix}", bus=f"stream-{suffix}")
    async with (
        httpx.AsyncClient() as http,
        build_engine_worker(
            client,
            task_queue=bus.task_queue,
            providers=EngineProviders(bus=bus, io_activities=build_io_activities(http)),
        ),
    ):
        yield WiredEngine(client, bus, EventPublisher(client, bus))


async def _runs(wired: WiredEngine, workflow_id: str) -> list[int]:
    """History lengths of every run of ``workflow_id`` (closed runs only have one)."""
    lengths = []
    async for run in wired.client.list_workflows(f"WorkflowId = '{workflow_id}'"):
        history = await wired.client.get_workflow_handle(
            workflow_id, run_id=run.run_id
        ).fetch_history()
        lengths.append(len(history.events))
    return lengths


async def test_forever_foreach_example_posts_each_event_with_bounded_history(
    low_limit_wired: WiredEngine, recording_http: RecordingServer
) -> None:
    definition = (
        (spec_dir() / "examples" / "listen-to-any-forever-foreach.yaml")
        .read_text("utf-8")
        .replace("https://fake-chat-api.com", recording_http.url)
    )
    handle = await low_limit_wired.start(definition, {"roomId": "r1"})
    await low_limit_wired.subscribed(handle)
    count = 100
    for n in range(count):
        await low_limit_wired.emit("com.gossip", {"n": n})
    for _ in range(600):
        if len(recording_http.requests) >= count:
            break
        await asyncio.sleep(0.05)
    # Each event was posted once, in order, while the listener keeps listening.
    assert [r["body"]["event"]["n"] for r in recording_http.requests] == list(range(count))
    assert await is_running(handle)
    lengths = await _runs(low_limit_wired, handle.id)
    assert len(lengths) >= 3, f"expected several continue-as-new runs, got {lengths}"
    assert max(lengths) < 4 * SUGGEST_AFTER
    await handle.terminate("test over")


async def test_until_condition_output_survives_continue_as_new(
    low_limit_wired: WiredEngine,
) -> None:
    definition = """
document: {dsl: '1.0.3', namespace: test, name: stream-until, version: '0.1.0'}
do:
  - collect:
      listen:
        to:
          any:
            - with: {type: com.count}
          until: '( . | length ) >= 60'
      foreach:
        item: event
        at: i
        do:
          - square:
              set:
                i: ${ $i }
                sq: ${ $event.n * $event.n }
"""
    handle = await low_limit_wired.start(definition)
    await low_limit_wired.subscribed(handle)
    for n in range(60):
        await low_limit_wired.emit("com.count", {"n": n})
        await low_limit_wired.emit("com.noise", {"n": -1})  # not matched: never processed
    output = await result(handle)
    assert output == [{"i": n, "sq": n * n} for n in range(60)]
    assert len(await _runs(low_limit_wired, handle.id)) >= 2
    assert (await low_limit_wired.status()).subscriptions == []
    # The run settings (memo) survive continue-as-new: lifecycle events stay off.
    memo = await (await handle.describe()).memo()
    assert memo.get("stigmer.lifecycleEvents") is False
