"""Heartbeating while an I/O activity waits, so a cancelled task stops its I/O.

Temporal tells an activity it was cancelled (its execution was cancelled, a
``timeout`` elapsed, a ``fork`` competitor won) only in the answer to a
heartbeat. An activity that never heartbeats runs its request to the end for
nobody; with :func:`heartbeating` the request is abandoned at the first
heartbeat after the cancellation (the SDK sends at most one per 80% of the
heartbeat timeout the engine sets).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from temporalio import activity

T = TypeVar("T")

#: How often the waiting activity records a heartbeat (the SDK throttles sending).
HEARTBEAT_EVERY_SECONDS = 1.0


async def heartbeating(work: Awaitable[T], every: float = HEARTBEAT_EVERY_SECONDS) -> T:
    """Await ``work``, heartbeating meanwhile; cancelling the activity cancels ``work``."""
    task = asyncio.ensure_future(work)
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=every)
            if done:
                return task.result()
            activity.heartbeat()
    finally:
        if not task.done():
            task.cancel()
