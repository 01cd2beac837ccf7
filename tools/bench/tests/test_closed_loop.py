"""The benchmarks' shared driver: exact call counts, the concurrency bound, figures, failures.

Latencies come from a fake clock the calls advance, so the figures are exact
whatever the machine's load.
"""

from __future__ import annotations

import asyncio
import math

import pytest
from closed_loop import (
    Call,
    LoopFigures,
    closed_loop,
    interleaved,
    loop_figures,
    merged,
    percentile,
)


class FakeClock:
    """Seconds that move only when a call says so."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_every_index_once_and_never_more_than_concurrency_in_flight() -> None:
    in_flight = 0
    most = 0
    seen: list[int] = []

    async def call(index: int) -> None:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        seen.append(index)
        for _ in range(index % 3 + 1):  # uneven calls: callers drift apart
            await asyncio.sleep(0)
        in_flight -= 1

    figures = await closed_loop(call, calls=50, concurrency=7)

    assert sorted(seen) == list(range(50))
    assert most == 7  # bounded, and the bound is reached
    assert (figures.runs, figures.concurrency, figures.failures) == (50, 7, 0)
    assert len(figures.latencies_s) == 50


async def test_fewer_calls_than_callers() -> None:
    seen: list[int] = []

    async def call(index: int) -> None:
        seen.append(index)
        await asyncio.sleep(0)

    figures = await closed_loop(call, calls=3, concurrency=10)
    assert sorted(seen) == [0, 1, 2]
    assert figures.runs == 3
    assert (await closed_loop(call, calls=0, concurrency=2)).runs == 0


async def test_percentiles_and_throughput_from_the_latencies() -> None:
    clock = FakeClock()

    async def call(index: int) -> None:
        clock.now += (index + 1) / 1000  # call i takes i + 1 ms

    figures = await closed_loop(call, calls=100, concurrency=1, clock=clock)

    assert figures.latencies_s == pytest.approx([(i + 1) / 1000 for i in range(100)])
    # Nearest rank: index round(0.5 * 99) = 50 and round(0.99 * 99) = 98.
    assert figures.p50_ms == pytest.approx(51.0)
    assert figures.p99_ms == pytest.approx(99.0)
    assert figures.wall_s == pytest.approx(5.05)
    assert figures.throughput_per_s == pytest.approx(100 / 5.05)
    assert figures.as_dict() == {
        "runs": 100,
        "concurrency": 1,
        "p50_ms": 51.0,
        "p99_ms": 99.0,
        "throughput_per_s": 19.8,
        "wall_s": 5.05,
    }


async def test_listed_failures_are_counted_not_timed() -> None:
    clock = FakeClock()

    async def call(index: int) -> None:
        clock.now += 0.010
        await asyncio.sleep(0)
        if index % 4 == 0:
            raise ValueError(index)

    figures = await closed_loop(call, calls=40, concurrency=3, failures=(ValueError,), clock=clock)

    assert figures.failures == 10
    assert figures.runs == 30
    assert len(figures.latencies_s) == 30
    assert figures.throughput_per_s == pytest.approx(30 / figures.wall_s)
    assert figures.as_dict()["failures"] == 10


async def test_any_other_failure_stops_the_loop_and_its_callers() -> None:
    started: list[int] = []
    release = asyncio.Event()

    async def call(index: int) -> None:
        started.append(index)
        if index == 5:
            raise RuntimeError("boom")
        await release.wait()

    # Bounded: a driver waiting for callers it did not cancel would hang here.
    with pytest.raises(RuntimeError, match="boom"):
        async with asyncio.timeout(30):
            await closed_loop(call, calls=100, concurrency=8, failures=(ValueError,))

    count = len(started)
    release.set()
    for _ in range(10):
        await asyncio.sleep(0)
    assert len(started) == count <= 8  # the other callers were cancelled, none went on


async def test_merged_stretches_and_interleaved_sides() -> None:
    clock = FakeClock()
    order: list[str] = []

    def side(name: str, seconds: float) -> Call:
        async def call(_index: int) -> None:
            order.append(name)
            clock.now += seconds

        return call

    figures = await interleaved({"a": side("a", 0.002), "b": side("b", 0.004)}, runs=3, clock=clock)

    assert order == ["a", "b"] * 3
    assert figures["a"].p50_ms == pytest.approx(2.0)
    assert figures["b"].throughput_per_s == pytest.approx(250.0)

    one = loop_figures([0.1, 0.3], concurrency=2, wall_s=1.0, failures=1)
    two = loop_figures([0.2], concurrency=2, wall_s=0.5)
    total = merged([one, two])
    assert total.latencies_s == (0.1, 0.2, 0.3)
    assert (total.runs, total.failures, total.wall_s) == (3, 1, 1.5)
    assert total.throughput_per_s == pytest.approx(2.0)


async def test_percentile_edges_and_bad_arguments() -> None:
    assert percentile([1.0, 2.0, 3.0], 0.0) == 1.0
    assert percentile([1.0, 2.0, 3.0], 1.0) == 3.0
    assert math.isnan(percentile([], 0.5))
    empty = loop_figures([], concurrency=1, wall_s=0.0)
    assert isinstance(empty, LoopFigures)
    assert (empty.runs, empty.throughput_per_s) == (0, 0.0)

    async def call(_index: int) -> None:
        await asyncio.sleep(0)

    with pytest.raises(ValueError, match="concurrency"):
        await closed_loop(call, calls=1, concurrency=0)
