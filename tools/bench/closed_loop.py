"""The benchmarks' closed-loop driver, sequential alternating runs, and their figures.

Standard library only: the server benchmarks import it without the Temporal
stack, the platform benchmarks with it.

- :func:`closed_loop`: ``concurrency`` callers, each starting its next call when
  its previous one ends, until ``calls`` calls have started: exactly ``calls``
  calls, never more than ``concurrency`` in flight. Each call is timed; the
  loop's wall time gives the throughput (successful calls per second).
- :func:`interleaved`: sequential calls of several sides, alternating side by
  side call by call (no overlap, so a shared machine's drifting load hits every
  side alike).
- :func:`merged`: several stretches of one thing as one measurement.
- :func:`percentile`: nearest rank.

Failures: a call raising one of the exception types in ``failures`` is counted
(in :attr:`LoopFigures.failures`, not in the latencies) and the loop goes on;
any other exception stops the loop: the other callers are cancelled and the
exception propagates.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: One call of the loop: ``call(index)`` for index 0, 1, ... calls - 1.
Call = Callable[[int], Awaitable[object]]


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest rank of ``fraction`` in already sorted values (NaN when there are none)."""
    if not sorted_values:
        return math.nan
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


@dataclass(frozen=True)
class LoopFigures:
    """One measurement: ``runs`` successful calls from ``concurrency`` callers.

    Latencies (``latencies_s``, sorted) are of the successful calls only;
    ``throughput_per_s`` is successful calls over the wall time.
    """

    runs: int
    concurrency: int
    p50_ms: float
    p99_ms: float
    throughput_per_s: float
    wall_s: float
    failures: int = 0
    latencies_s: tuple[float, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The rounded figures for a JSON report (failures only when there were any)."""
        figures: dict[str, Any] = {
            "runs": self.runs,
            "concurrency": self.concurrency,
            "p50_ms": round(self.p50_ms, 1),
            "p99_ms": round(self.p99_ms, 1),
            "throughput_per_s": round(self.throughput_per_s, 2),
            "wall_s": round(self.wall_s, 2),
        }
        if self.failures:
            figures["failures"] = self.failures
        return figures


def loop_figures(
    latencies_s: Sequence[float], *, concurrency: int, wall_s: float, failures: int = 0
) -> LoopFigures:
    """The figures of successful calls' latencies (seconds, any order) over ``wall_s``."""
    ordered = tuple(sorted(latencies_s))
    return LoopFigures(
        runs=len(ordered),
        concurrency=concurrency,
        p50_ms=percentile(ordered, 0.50) * 1000,
        p99_ms=percentile(ordered, 0.99) * 1000,
        throughput_per_s=len(ordered) / wall_s if wall_s > 0 else 0.0,
        wall_s=wall_s,
        failures=failures,
        latencies_s=ordered,
    )


async def closed_loop(
    call: Call,
    *,
    calls: int,
    concurrency: int,
    failures: tuple[type[BaseException], ...] = (),
    clock: Callable[[], float] = time.perf_counter,
) -> LoopFigures:
    """``call(i)`` for i < ``calls`` from ``concurrency`` callers, each in a loop.

    ``failures``: exception types counted as failed calls instead of stopping
    the loop. ``clock``: seconds, for the latencies and the wall time.
    """
    if calls < 0 or concurrency < 1:
        raise ValueError(f"calls {calls} must be >= 0 and concurrency {concurrency} >= 1")
    latencies: list[float] = []
    failed = 0
    next_index = 0

    async def caller() -> None:
        nonlocal next_index, failed
        # No await between the test and the increment: each index is taken once.
        while next_index < calls:
            index = next_index
            next_index += 1
            started = clock()
            try:
                await call(index)
            except failures:
                failed += 1
                continue
            latencies.append(clock() - started)

    wall_start = clock()
    callers = [asyncio.ensure_future(caller()) for _ in range(min(concurrency, calls))]
    try:
        await asyncio.gather(*callers)
    finally:
        # One caller failed (or we were cancelled): stop the others before leaving.
        for task in callers:
            task.cancel()
        await asyncio.gather(*callers, return_exceptions=True)
    return loop_figures(
        latencies, concurrency=concurrency, wall_s=clock() - wall_start, failures=failed
    )


def merged(parts: Sequence[LoopFigures]) -> LoopFigures:
    """Several measurements of one thing as one: all latencies and failures, summed walls."""
    return loop_figures(
        [value for part in parts for value in part.latencies_s],
        concurrency=parts[0].concurrency,
        wall_s=sum(part.wall_s for part in parts),
        failures=sum(part.failures for part in parts),
    )


async def interleaved(
    sides: Mapping[str, Call], *, runs: int, clock: Callable[[], float] = time.perf_counter
) -> dict[str, LoopFigures]:
    """``runs`` sequential calls of each side, alternating sides call by call.

    Sequential calls do not overlap, so alternating changes no latency while a
    shared machine's load drifts over both sides alike. Throughput is calls
    over the side's own summed latencies. Any exception propagates.
    """
    latencies: dict[str, list[float]] = {name: [] for name in sides}
    for index in range(runs):
        for name, call in sides.items():
            started = clock()
            await call(index)
            latencies[name].append(clock() - started)
    return {
        name: loop_figures(values, concurrency=1, wall_s=sum(values))
        for name, values in latencies.items()
    }
