"""An activity's log lines name the execution (from the workflow id) and the DSL task
(the summary its workflow gave it), through the worker interceptor, on a real dev server."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from stigmer_common.temporal_dev_server import start_dev_server
from stigmer_observability.log_setup import configure_logging
from stigmer_observability.task_interceptor import ExecutionLogInterceptor
from task_log_workflow import TaskLogWorkflow, log_for_task
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

pytestmark = pytest.mark.integration

EXECUTION = "wex-01jz8k2v3c4d5e6f7g8h9j0k1m"


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    started = await start_dev_server()
    try:
        yield started
    finally:
        await started.shutdown()


@pytest.mark.asyncio(loop_scope="session")
async def test_activity_lines_carry_execution_and_task(env: WorkflowEnvironment) -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging("workflow-runner", level="INFO", fmt="json", stream=stream)
    queue = f"task-log-{uuid.uuid4().hex[:8]}"
    try:
        async with Worker(
            env.client,
            task_queue=queue,
            workflows=[TaskLogWorkflow],
            activities=[log_for_task],
            interceptors=[ExecutionLogInterceptor()],
        ):
            result = await env.client.execute_workflow(
                TaskLogWorkflow.run,
                "pets",
                id=f"stigmer/engine/{EXECUTION}/{uuid.uuid4().hex[:6]}",
                task_queue=queue,
            )
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    assert result == "pets"
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    (working,) = [line for line in lines if line["logger"] == "tests.task_activity"]
    assert working["msg"] == "working on pets"
    assert working["execution_id"] == EXECUTION
    assert working["task"] == "/do/0/fetchPet"
