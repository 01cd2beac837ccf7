"""I/O activities heartbeat while they wait, and a cancellation reaches their work."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from temporalio import activity
from temporalio.testing import ActivityEnvironment
from workflow_runner.activities.heartbeat import heartbeating


async def test_heartbeating_returns_the_result() -> None:
    @activity.defn
    async def quick() -> str:
        return await heartbeating(asyncio.sleep(0.01, result="done"), every=0.05)

    assert await ActivityEnvironment().run(quick) == "done"


async def test_cancelling_the_activity_cancels_its_work() -> None:
    env = ActivityEnvironment()
    beats: list[tuple[Any, ...]] = []
    env.on_heartbeat = lambda *details: beats.append(details)
    cancelled = asyncio.Event()

    async def request() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    @activity.defn
    async def slow() -> None:
        await heartbeating(request(), every=0.05)

    running = asyncio.ensure_future(env.run(slow))
    for _ in range(1000):
        if beats:
            break
        await asyncio.sleep(0.01)
    assert beats, "the waiting activity never heartbeated"
    env.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(running, 10)
    assert cancelled.is_set()
