"""Reading a Subscribe stream while a runner is held back until the first message.

Without the gate a fast runner could report before the subscription starts,
and the test could not tell "streamed PENDING first" from "missed it".
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable
from typing import TypeVar

from stigmer.commons.v1 import phase_pb2

T = TypeVar("T")


async def collect_until_end(stream: AsyncIterable[T], first_seen: asyncio.Event) -> list[T]:
    """Every message of ``stream`` until the server ends it; sets ``first_seen`` after one."""
    items: list[T] = []
    async for item in stream:
        items.append(item)
        first_seen.set()
    return items


def phase_sequence(phases: list[int]) -> list[str]:
    """Phase names with consecutive repeats collapsed (several IN_PROGRESS updates are one step)."""
    names: list[str] = []
    for phase in phases:
        name = phase_pb2.ExecutionPhase.Name(phase)  # type: ignore[arg-type]
        if not names or names[-1] != name:
            names.append(name)
    return names
