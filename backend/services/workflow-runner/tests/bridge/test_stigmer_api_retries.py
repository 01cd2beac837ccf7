"""The runner's stigmer-server client against a real gRPC server on loopback that is
down, comes up late, or answers errors: transient failures are retried within the
budget, final answers are not."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import grpc
import pytest
from stigmer.commons.v1 import io_pb2 as commons_io
from stigmer.commons.v1 import phase_pb2
from stigmer.workflowexecution.v1 import api_pb2 as execution_api
from stigmer.workflowexecution.v1 import command_pb2_grpc as execution_command
from stigmer.workflowexecution.v1 import io_pb2 as execution_io
from stigmer.workflowexecution.v1 import query_pb2_grpc as execution_query
from workflow_runner.bridge.settings import RunnerSettings
from workflow_runner.bridge.stigmer_api import RETRYABLE_CODES, StigmerApi


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Executions(
    execution_query.WorkflowExecutionQueryControllerServicer,
    execution_command.WorkflowExecutionCommandControllerServicer,
):
    """Knows one execution; counts the calls that reached it (the other RPCs are
    the generated UNIMPLEMENTED defaults, which the typing stubs call abstract)."""

    def __init__(self) -> None:
        self.calls = 0

    async def Get(
        self, request: commons_io.ApiResourceId, context: grpc.aio.ServicerContext
    ) -> execution_api.WorkflowExecution:
        self.calls += 1
        if request.value != "wex-known":
            await context.abort(grpc.StatusCode.NOT_FOUND, f"{request.value} not found")
        execution = execution_api.WorkflowExecution()
        execution.metadata.id = request.value
        return execution

    async def UpdateStatus(
        self,
        request: execution_io.WorkflowExecutionUpdateStatusInput,
        context: grpc.aio.ServicerContext,
    ) -> execution_api.WorkflowExecution:
        self.calls += 1
        execution = execution_api.WorkflowExecution()
        execution.metadata.id = request.execution_id
        execution.status.CopyFrom(request.status)
        return execution


async def _serve(address: str, servicer: Executions) -> grpc.aio.Server:
    server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
    execution_query.add_WorkflowExecutionQueryControllerServicer_to_server(servicer, server)
    execution_command.add_WorkflowExecutionCommandControllerServicer_to_server(servicer, server)
    assert server.add_insecure_port(address) != 0
    await server.start()
    return server


@pytest.fixture
async def address() -> AsyncIterator[str]:
    yield f"127.0.0.1:{_free_port()}"


def _api(address: str, budget: timedelta = timedelta(seconds=30)) -> StigmerApi:
    return StigmerApi(RunnerSettings(stigmer_endpoint=address), retry_budget=budget)


async def test_a_read_waits_through_an_outage_until_the_server_is_back(address: str) -> None:
    servicer = Executions()  # type: ignore[abstract]
    api = _api(address)
    servers: list[grpc.aio.Server] = []

    async def come_up_late() -> None:
        await asyncio.sleep(1.5)
        servers.append(await _serve(address, servicer))

    try:
        late = asyncio.create_task(come_up_late())
        execution = await asyncio.wait_for(api.get_execution("wex-known"), 30)
        await late
    finally:
        await api.close()
        for server in servers:
            await server.stop(None)
    assert execution.metadata.id == "wex-known"
    assert servicer.calls == 1  # the attempts before the server was up never reached it


async def test_a_status_report_survives_a_server_restart(address: str) -> None:
    servicer = Executions()  # type: ignore[abstract]
    server = await _serve(address, servicer)
    api = _api(address)
    report = execution_io.WorkflowExecutionUpdateStatusInput(
        execution_id="wex-known",
        status=execution_api.WorkflowExecutionStatus(phase=phase_pb2.IN_PROGRESS),
    )
    try:
        assert (await api.update_status(report)).status.phase == phase_pb2.IN_PROGRESS
        await server.stop(None)  # the server goes away...
        pending = asyncio.create_task(api.update_status(report))
        await asyncio.sleep(1.0)
        assert not pending.done()  # ...the report waits instead of failing...
        server = await _serve(address, servicer)  # ...and is delivered once it is back.
        reply = await asyncio.wait_for(pending, 30)
    finally:
        await api.close()
        await server.stop(None)
    assert reply.status.phase == phase_pb2.IN_PROGRESS
    assert servicer.calls == 2


async def test_not_found_is_final_at_once(address: str) -> None:
    servicer = Executions()  # type: ignore[abstract]
    server = await _serve(address, servicer)
    api = _api(address)
    try:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await api.get_execution("wex-missing")
    finally:
        await api.close()
        await server.stop(None)
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    assert servicer.calls == 1


async def test_the_budget_bounds_the_retries(address: str) -> None:
    api = _api(address, budget=timedelta(seconds=1.5))
    started = time.monotonic()
    try:
        with pytest.raises(grpc.aio.AioRpcError) as gave_up:
            await api.get_execution("wex-known")  # nothing ever listens here
    finally:
        await api.close()
    # The last attempt waited for a connection until the budget ran out.
    assert gave_up.value.code() in RETRYABLE_CODES
    assert time.monotonic() - started >= 1.4  # it kept trying, and stopped at the budget
