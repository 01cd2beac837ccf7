"""Change feed fan-out and per-key locks."""

from __future__ import annotations

import asyncio

from stigmer.workflowexecution.v1 import api_pb2
from stigmer_server.execution.change_feed import ChangeFeed
from stigmer_server.execution.keyed_locks import KeyedLocks


async def test_every_subscriber_gets_a_copy_and_close_ends_them() -> None:
    feed = ChangeFeed()
    change = api_pb2.WorkflowExecution()
    change.metadata.id = "wex-1"
    with (
        feed.subscribe("wex-1") as a,
        feed.subscribe("wex-1") as b,
        feed.subscribe("wex-2") as other,
    ):
        feed.publish("wex-1", change)
        change.metadata.version = 9  # later mutation must not leak into queued copies
        first, second = await a.get(), await b.get()
        assert first.metadata.version == 0  # type: ignore[union-attr]
        assert second is first  # one snapshot for every subscriber, not a copy each
        assert other.empty()
        feed.close()
        assert await a.get() is None
    assert feed.subscriber_count("wex-1") == 0


async def test_keyed_locks_serialize_one_key_only_and_clean_up() -> None:
    locks = KeyedLocks()
    order: list[str] = []

    async def hold(key: str, tag: str) -> None:
        async with locks.hold(key):
            order.append(f"{tag}+")
            await asyncio.sleep(0.01)
            order.append(f"{tag}-")

    await asyncio.gather(hold("x", "a"), hold("x", "b"), hold("y", "c"))
    assert order.index("a-") < order.index("b+")
    assert order.index("c+") < order.index("a-")  # another key is not blocked
    assert len(locks) == 0
