"""The platform-vs-engine benchmark runs end to end on a tiny load and both sides agree."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from e2e_platform import Platform
from platform_stack import local_http_server
from platform_vs_engine import measure

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]


@pytest.fixture
def item_url() -> Iterator[str]:
    with local_http_server() as url:
        yield url


async def test_platform_and_bare_engine_agree_on_both_shapes(
    platform: Platform, item_url: str
) -> None:
    report = await measure(
        platform.client,
        platform.server.address,
        platform.env["TEMPORAL_ZIGFLOW_EXECUTION_TASK_QUEUE"],
        item_url,
        runs=1,
        concurrent_runs=2,
        concurrency=2,
        set_steps=5,
        warmup=1,
    )
    assert report["http"]["same_output"], report["http"]
    assert report["http"]["output"] == 1  # the id the loopback server answers
    assert report["set5"]["same_output"], report["set5"]
    assert report["set5"]["output"] == {"step": 4, "sum": 10}
    for shape in ("http", "set5"):
        assert report[shape]["c1_latency"]["platform"]["runs"] == 1
        assert report[shape]["c2_throughput"]["bare"]["runs"] == 2
        assert report[shape]["c2_throughput"]["ratio_throughput"] > 0
