"""Group commit: concurrent writers share one WAL fsync.

Writers append their batch without syncing (under the repository's write lock,
which is then released at once), and each waits here until an fsync covering
its sequence number has finished before acknowledging. While one fsync runs,
later writers pile up and are covered together by the next one, so at N
concurrent writers the lock is held for the memtable write only and the disk
sees about one fsync per group instead of one per request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class GroupSync:
    """Coalesces WAL fsyncs; ``sync_wal`` runs in a worker thread."""

    def __init__(self, sync_wal: Callable[[], int]) -> None:
        self._sync_wal = sync_wal
        self._durable = 0
        self._running: asyncio.Future[None] | None = None
        self.fsyncs = 0

    @property
    def durable_sequence(self) -> int:
        return self._durable

    async def wait_durable(self, sequence: int) -> None:
        """Returns once every write up to ``sequence`` is fsynced.

        An fsync already running when the write happened may not cover it (its
        covered sequence was read before), so the loop joins the next one.
        """
        while self._durable < sequence:
            if self._running is None:
                self._running = asyncio.ensure_future(self._sync())
            await asyncio.shield(self._running)

    async def _sync(self) -> None:
        try:
            covered = await asyncio.to_thread(self._sync_wal)
            self.fsyncs += 1
            self._durable = max(self._durable, covered)
        finally:
            self._running = None
