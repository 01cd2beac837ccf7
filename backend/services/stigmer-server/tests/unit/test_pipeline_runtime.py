"""The pipeline runtime: order, client errors untouched, faults named by step."""

from __future__ import annotations

import asyncio

import pytest
from stigmer.commons.v1 import io_pb2
from stigmer_server import kinds
from stigmer_server.errors import InvalidArgument
from stigmer_server.pipeline import Pipeline, RequestContext, StepFailed, UnderLock


class Record:
    def __init__(self, name: str, log: list[str], fail: BaseException | None = None) -> None:
        self.name = name
        self._log = log
        self._fail = fail

    async def run(self, ctx: RequestContext) -> None:
        self._log.append(self.name)
        await asyncio.sleep(0)
        if self._fail is not None:
            raise self._fail


def ctx() -> RequestContext:
    return RequestContext(kind=kinds.WORKFLOW, operation="test", request=io_pb2.ApiResourceId())


async def test_steps_run_in_order() -> None:
    log: list[str] = []
    pipeline = Pipeline("p", [Record("a", log), Record("b", log), Record("c", log)])
    await pipeline.run(ctx())
    assert log == ["a", "b", "c"]
    assert pipeline.step_names == ["a", "b", "c"]


async def test_client_error_stops_the_pipeline_unchanged() -> None:
    log: list[str] = []
    error = InvalidArgument("bad", field="spec.x")
    pipeline = Pipeline("p", [Record("a", log, error), Record("b", log)])
    with pytest.raises(InvalidArgument) as caught:
        await pipeline.run(ctx())
    assert caught.value is error
    assert log == ["a"]


async def test_unexpected_error_names_pipeline_and_step() -> None:
    pipeline = Pipeline("wf-create", [Record("persist", [], KeyError("boom"))])
    with pytest.raises(StepFailed) as caught:
        await pipeline.run(ctx())
    assert caught.value.step == "persist"
    assert "wf-create" in str(caught.value)


async def test_under_lock_serializes_inner_steps() -> None:
    lock = asyncio.Lock()
    log: list[str] = []

    class Slow:
        name = "slow"

        async def run(self, c: RequestContext) -> None:
            log.append("enter")
            await asyncio.sleep(0.01)
            log.append("exit")

    step = UnderLock(lock, [Slow()])
    await asyncio.gather(step.run(ctx()), step.run(ctx()))
    assert log == ["enter", "exit", "enter", "exit"]
    assert step.name == "locked(slow)"
