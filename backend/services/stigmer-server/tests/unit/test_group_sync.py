"""Group commit: concurrent writers share WAL fsyncs, nobody returns uncovered."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest
from stigmer_server.store import GroupSync, RecordIndex, RecordWrite, ResourceStore


class SlowSync:
    """A fake WAL: ``head`` advances on writes, each sync covers what was there when it began."""

    def __init__(self) -> None:
        self.head = 0
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self) -> int:
        with self._lock:
            covered = self.head
        time.sleep(0.02)
        self.calls += 1
        return covered


async def test_concurrent_waiters_share_fsyncs_and_each_is_covered() -> None:
    wal = SlowSync()
    group = GroupSync(wal)

    async def writer() -> None:
        wal.head += 1
        sequence = wal.head
        await group.wait_durable(sequence)
        assert group.durable_sequence >= sequence

    await asyncio.gather(*(writer() for _ in range(50)))
    assert wal.calls <= 3  # one fsync for all 50, plus at most a follow-up for late joiners
    assert group.fsyncs == wal.calls


async def test_a_write_after_an_fsync_began_waits_for_the_next_one() -> None:
    wal = SlowSync()
    group = GroupSync(wal)
    wal.head = 1
    first = asyncio.create_task(group.wait_durable(1))
    await asyncio.sleep(0.005)  # the first fsync is running and covers only 1
    wal.head = 2
    await group.wait_durable(2)
    await first
    assert wal.calls == 2 and group.durable_sequence == 2


async def test_fsync_failure_reaches_the_waiters() -> None:
    def broken() -> int:
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        await GroupSync(broken).wait_durable(1)


async def test_real_store_unsynced_write_then_sync_covers_it(tmp_path: Path) -> None:
    store = ResourceStore(tmp_path)
    store.open()
    try:
        sequence = store.write([RecordWrite("k", "k-1", b"v", RecordIndex("o", "s"))], sync=False)
        assert store.get("k", "k-1") == b"v"  # visible before the fsync
        group = GroupSync(store.sync_wal)
        await group.wait_durable(sequence)
        assert group.durable_sequence >= sequence
    finally:
        store.close()
