"""Reconciliation against real processes: no acknowledged execution stays PENDING.

- Created while Temporal is down: started and COMPLETED once Temporal is up,
  by the running server (background reconnect) and by a restarted one (boot pass).
- A start lost while the server's Temporal connection was cut (the record is
  stored, no orchestration workflow exists): started by the periodic pass.
(The deadline that FAILs an unstartable execution is in test_start_failure.py.)
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import grpc
import pytest
import pytest_asyncio
from cross_service import Queues, ServerFactory
from google.protobuf import json_format
from resource_requests import workflow, workflow_execution
from runner_doubles import ReportingRunner
from stigmer.commons.v1 import io_pb2 as commons_io
from stigmer.commons.v1 import phase_pb2
from stigmer.workflow.v1 import command_pb2_grpc as workflow_command
from stigmer.workflowexecution.v1 import api_pb2 as execution_api
from stigmer.workflowexecution.v1 import command_pb2_grpc as execution_command
from stigmer.workflowexecution.v1 import contract_pb2
from stigmer.workflowexecution.v1 import query_pb2_grpc as execution_query
from stigmer.workflowexecution.v1.contract_temporal import (
    INVOKE_WORKFLOW_EXECUTION,
    WORKFLOW_EXECUTION_RUNNER,
)
from stigmer_common.payload_codec import encrypted_data_converter, load_keyring
from stigmer_common.temporal_dev_server import start_dev_server
from stigmer_testing.server_process import ServerProcess, free_port
from tcp_proxy import TcpProxy
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

pytestmark = pytest.mark.integration

TIMEOUT = 60.0
# Short periods so the tests see several passes in a few seconds.
FAST_RECONCILE = {"STIGMER_RECONCILE_INTERVAL_SECONDS": "0.5"}


async def _sealed_client(target: str, payload_keys: str) -> Client:
    return await Client.connect(
        target,
        data_converter=encrypted_data_converter(
            load_keyring({"STIGMER_PAYLOAD_KEYS": payload_keys})
        ),
    )


async def _create_executions(server: ServerProcess, count: int) -> list[str]:
    async with grpc.aio.insecure_channel(server.address) as channel:
        created = await workflow_command.WorkflowCommandControllerStub(channel).Create(workflow())
        stub = execution_command.WorkflowExecutionCommandControllerStub(channel)
        ids = []
        for _ in range(count):
            execution = await stub.Create(workflow_execution(created.metadata.id))
            assert execution.status.phase == phase_pb2.PENDING  # acknowledged, stored
            ids.append(execution.metadata.id)
    return ids


async def _get(server: ServerProcess, execution_id: str) -> execution_api.WorkflowExecution:
    async with grpc.aio.insecure_channel(server.address) as channel:
        reply: execution_api.WorkflowExecution = (
            await execution_query.WorkflowExecutionQueryControllerStub(channel).Get(
                commons_io.ApiResourceId(value=execution_id)
            )
        )
        return reply


async def _wait_for_phase(
    server: ServerProcess, execution_id: str, phase: int
) -> execution_api.WorkflowExecution:
    async with asyncio.timeout(TIMEOUT):
        while True:
            execution = await _get(server, execution_id)
            if execution.status.phase == phase:
                return execution
            await asyncio.sleep(0.2)


def _assert_completed(execution: execution_api.WorkflowExecution) -> None:
    assert execution.status.phase == phase_pb2.COMPLETED
    output = json_format.MessageToDict(execution.status.output)
    assert output == {"data": {"greeting": "hello integration"}}


async def _wait_for_log(server: ServerProcess, text: str) -> None:
    async with asyncio.timeout(TIMEOUT):
        while text not in server.logs():  # noqa: ASYNC110 (a file, not an event)
            await asyncio.sleep(0.1)


def _records(server: ServerProcess) -> list[dict[str, object]]:
    return [json.loads(line) for line in server.logs().splitlines() if line.startswith("{")]


@pytest_asyncio.fixture
async def late_temporal() -> AsyncIterator[tuple[str, list[WorkflowEnvironment]]]:
    """An address where Temporal is NOT running yet; the test brings it up there."""
    address = f"127.0.0.1:{free_port()}"
    started: list[WorkflowEnvironment] = []
    yield address, started
    for env in started:
        await env.shutdown()


async def _bring_up(late: tuple[str, list[WorkflowEnvironment]], payload_keys: str) -> Client:
    address, started = late
    started.append(await start_dev_server(port=int(address.rsplit(":", 1)[1])))
    return await _sealed_client(address, payload_keys)


async def test_executions_created_while_temporal_is_down_complete_once_it_is_up(
    start_stigmer_server: ServerFactory,
    queues: Queues,
    late_temporal: tuple[str, list[WorkflowEnvironment]],
    payload_keys: str,
) -> None:
    address, _ = late_temporal
    server = start_stigmer_server({"TEMPORAL_HOST_PORT": address, **queues.env(), **FAST_RECONCILE})
    ids = await _create_executions(server, 3)
    await asyncio.sleep(1.5)  # several reconnect attempts and passes, nothing to start with
    phases = [(await _get(server, i)).status.phase for i in ids]
    assert phases == [phase_pb2.PENDING] * len(ids)

    client = await _bring_up(late_temporal, payload_keys)  # no server restart
    runner = ReportingRunner(server.address)
    runner.gate.set()
    async with WORKFLOW_EXECUTION_RUNNER.worker(
        client, activities=[runner.execute_workflow], task_queue=queues.workflow_runner
    ):
        for execution_id in ids:
            _assert_completed(await _wait_for_phase(server, execution_id, phase_pb2.COMPLETED))

    messages = [str(r.get("msg")) for r in _records(server)]
    assert sum("Temporal unreachable" in m for m in messages) == 1  # the retries stay quiet
    assert any(f"connected to Temporal at {address}" in m for m in messages)
    assert any("started the orchestration of 3 PENDING executions" in m for m in messages)


async def test_executions_created_while_temporal_is_down_complete_after_a_server_restart(
    start_stigmer_server: ServerFactory,
    queues: Queues,
    late_temporal: tuple[str, list[WorkflowEnvironment]],
    payload_keys: str,
) -> None:
    address, _ = late_temporal
    env = {"TEMPORAL_HOST_PORT": address, **queues.env()}  # default 30 s period: boot does it
    first = start_stigmer_server(env)
    ids = await _create_executions(first, 2)
    assert first.stop() == 0

    client = await _bring_up(late_temporal, payload_keys)
    second = start_stigmer_server(env, data_dir=first.data_dir, address=first.address)
    runner = ReportingRunner(second.address)
    runner.gate.set()
    async with WORKFLOW_EXECUTION_RUNNER.worker(
        client, activities=[runner.execute_workflow], task_queue=queues.workflow_runner
    ):
        for execution_id in ids:
            _assert_completed(await _wait_for_phase(second, execution_id, phase_pb2.COMPLETED))


async def test_periodic_pass_starts_a_pending_execution_whose_start_was_lost(
    start_stigmer_server: ServerFactory,
    temporal_env: WorkflowEnvironment,
    runner_client: Client,
    queues: Queues,
) -> None:
    # The server reaches Temporal through a proxy the test cuts: Temporal drops
    # after boot, a Create cannot start its workflow, then Temporal is back.
    proxy = TcpProxy(temporal_env.client.service_client.config.target_host)
    await proxy.start()
    try:
        server = start_stigmer_server(
            {"TEMPORAL_HOST_PORT": proxy.address, **queues.env(), **FAST_RECONCILE}
        )
        await _wait_for_log(server, "connected to Temporal")  # the boot pass has run
        proxy.cut_off()
        [execution_id] = await _create_executions(server, 1)
        # Stored PENDING without an orchestration workflow.
        handle = runner_client.get_workflow_handle(
            INVOKE_WORKFLOW_EXECUTION.workflow_id(
                contract_pb2.InvokeWorkflowExecutionInput(
                    execution=await _get(server, execution_id)
                )
            )
        )
        with pytest.raises(RPCError) as missing:
            await handle.describe()
        assert missing.value.status == RPCStatusCode.NOT_FOUND
        assert f"execution {execution_id} stays PENDING" in server.logs()

        proxy.restore()
        runner = ReportingRunner(server.address)
        runner.gate.set()
        async with WORKFLOW_EXECUTION_RUNNER.worker(
            runner_client, activities=[runner.execute_workflow], task_queue=queues.workflow_runner
        ):
            _assert_completed(await _wait_for_phase(server, execution_id, phase_pb2.COMPLETED))
        assert (await handle.describe()).id == handle.id
    finally:
        await proxy.close()
