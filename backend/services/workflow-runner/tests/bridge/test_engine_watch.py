"""The stuck-engine watch against a real dev server: a run whose workflow task keeps
failing is reported as the execution's ``engine_problem``; a healthy one is not; a
closed one is named so its handed-off attempt is released."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from stigmer.commons.v1 import phase_pb2
from stigmer.workflowexecution.v1 import api_pb2, io_pb2
from stigmer_common.temporal_dev_server import start_dev_server
from temporalio import workflow
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from workflow_runner.bridge.engine_watch import ENGINE_STUCK, StuckEngineWatch

with workflow.unsafe.imports_passed_through():  # the sandbox re-imports this module
    from stigmer_common.payload_codec import KeyRing, encrypted_data_converter
from workflow_runner.bridge.execute_workflow import engine_workflow_id


@workflow.defn(name="BrokenEngine")
class BrokenEngine:
    """Fails every workflow task (a bug): Temporal retries it, the run never ends."""

    @workflow.run
    async def run(self) -> None:
        raise RuntimeError("engine bug: cannot interpret this definition")


@workflow.defn(name="HealthyEngine")
class HealthyEngine:
    @workflow.run
    async def run(self) -> None:
        await workflow.sleep(3600)


@workflow.defn(name="FinishedEngine")
class FinishedEngine:
    """An engine run that already ended (completed, or terminated by an operator)."""

    @workflow.run
    async def run(self) -> None:
        return None


class RecordedReports:
    """Stands in for stigmer-server's UpdateStatus: keeps what the watch sent."""

    def __init__(self) -> None:
        self.reports: list[io_pb2.WorkflowExecutionUpdateStatusInput] = []

    async def update_status(
        self, report: io_pb2.WorkflowExecutionUpdateStatusInput
    ) -> api_pb2.WorkflowExecution:
        self.reports.append(report)
        return api_pb2.WorkflowExecution(status=report.status)


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    environment = await start_dev_server()
    try:
        yield environment
    finally:
        await environment.shutdown()


@pytest.mark.parametrize("sealed", [False, True], ids=["plain", "sealed"])
async def test_a_failing_workflow_task_is_reported_and_a_healthy_run_is_not(
    env: WorkflowEnvironment, sealed: bool
) -> None:
    # Sealed: failure messages are encoded in history; the watch decodes them.
    client = (
        await Client.connect(
            env.client.service_client.config.target_host,
            data_converter=encrypted_data_converter(KeyRing.generate()),
        )
        if sealed
        else env.client
    )
    queue = f"engine-watch-{uuid.uuid4().hex[:8]}"
    stuck, healthy = f"wex-stuck-{queue}", f"wex-healthy-{queue}"
    finished = f"wex-finished-{queue}"
    api = RecordedReports()
    watch = StuckEngineWatch(client, api)
    workflows = [BrokenEngine, HealthyEngine, FinishedEngine]
    async with Worker(client, task_queue=queue, workflows=workflows):
        await client.start_workflow("BrokenEngine", id=engine_workflow_id(stuck), task_queue=queue)
        await client.start_workflow(
            "HealthyEngine", id=engine_workflow_id(healthy), task_queue=queue
        )
        await client.execute_workflow(
            "FinishedEngine", id=engine_workflow_id(finished), task_queue=queue
        )
        async with asyncio.timeout(60):
            while not api.reports:
                closed = await watch.check([stuck, healthy, finished])
                await asyncio.sleep(0.5)
        # The same problem is not reported twice; a closed engine is named, not reported.
        assert await watch.check([stuck, healthy, finished]) == {finished}
        assert closed == {finished}
    assert [report.execution_id for report in api.reports] == [stuck]
    status = api.reports[0].status
    assert status.phase == phase_pb2.IN_PROGRESS
    assert status.engine_problem.code == ENGINE_STUCK
    assert "engine bug: cannot interpret this definition" in status.engine_problem.message
