"""Helpers of the cancel / pause / resume end-to-end tests (shared with tools/bench)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from stigmer.commons.v1 import io_pb2
from stigmer.workflowexecution.v1 import api_pb2 as execution_api
from stigmer.workflowexecution.v1 import query_pb2_grpc
from stigmer_cli.api import StigmerClient

Predicate = Callable[[execution_api.WorkflowExecution], bool]


async def wait_until(
    client: StigmerClient, execution_id: str, predicate: Predicate, *, within: float = 60.0
) -> execution_api.WorkflowExecution:
    """The first streamed state of the execution satisfying ``predicate``."""
    async with asyncio.timeout(within):
        async for update in client.subscribe(execution_id):
            if predicate(update):
                return update
    raise AssertionError(f"{execution_id}: the stream ended before the condition held")


async def get_execution(address: str, execution_id: str) -> execution_api.WorkflowExecution:
    import grpc

    async with grpc.aio.insecure_channel(address) as channel:
        stub = query_pb2_grpc.WorkflowExecutionQueryControllerStub(channel)
        found: execution_api.WorkflowExecution = await stub.Get(
            io_pb2.ApiResourceId(value=execution_id), timeout=15
        )
    return found


def task_phase(execution: execution_api.WorkflowExecution, name: str) -> int | None:
    for task in execution.status.tasks:
        if task.name == name:
            return int(task.status)
    return None
