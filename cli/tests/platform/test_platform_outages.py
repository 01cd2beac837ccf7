"""End to end: a stigmer-server outage loses nothing that was acknowledged.

stigmer-server is killed (SIGKILL) and restarted on the same data directory and
address about a second later, while executions are being created and run by a
real workflow-runner process. Every Create that answered OK ends COMPLETED with
its own output (the runner's reads and progress reports wait through the
outage, the orchestrations resume on the restarted server); every execution
stored at all, including one whose Create answered an error because the server
died under it, ends COMPLETED too (reconciliation at boot starts it): none is
left PENDING.
"""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest
from e2e_platform import Platform
from google.protobuf import json_format
from stigmer.commons.v1 import io_pb2 as commons_io
from stigmer.commons.v1 import phase_pb2
from stigmer.workflowexecution.v1 import api_pb2 as execution_api
from stigmer.workflowexecution.v1 import query_pb2_grpc as execution_query
from stigmer_cli.api import StigmerClient
from stigmer_cli.errors import UsageError
from stigmer_dsl.converter import workflow_from_dsl
from stigmer_testing.server_process import start_server

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

RUNNING = 16
IN_FLIGHT = 8
BEFORE_KILL = RUNNING + IN_FLIGHT
AFTER = 10
CREATE_SPACING = 0.02  # seconds between the in-flight Creates
OUTAGE = 1.0  # seconds between the kill and the restart (which then takes its boot time)
TIMEOUT = 120.0

DOCUMENT = {
    "document": {"dsl": "1.0.0", "namespace": "e2e", "name": "outage", "version": "1.0.0"},
    "do": [
        {"nap": {"wait": {"seconds": 1}}},
        {"double": {"set": {"n": "${ .n }", "doubled": "${ .n * 2 }"}}},
    ],
}


async def _create(client: StigmerClient, workflow: object, n: int) -> str | Exception:
    try:
        created = await client.start_execution(workflow, {"n": n})  # type: ignore[arg-type]
    except UsageError as error:
        return error
    assert created.status.phase == phase_pb2.PENDING
    return created.metadata.id


async def _all_executions(address: str) -> list[execution_api.WorkflowExecution]:
    async with grpc.aio.insecure_channel(address) as channel:
        queries = execution_query.WorkflowExecutionQueryControllerStub(channel)
        items: list[execution_api.WorkflowExecution] = []
        token = ""
        while True:
            page = await queries.List(
                commons_io.ApiResourceListInput(page_size=100, page_token=token), timeout=15
            )
            items.extend(page.items)
            token = page.next_page_token
            if not token:
                return items


async def test_server_killed_and_restarted_while_executions_are_created_and_run(
    platform: Platform,
) -> None:
    workflow, _ = workflow_from_dsl(DOCUMENT)
    async with StigmerClient(platform.server.address) as setup:
        applied = await setup.apply_workflow(workflow)

    # 16 acknowledged Creates whose runs are in their one-second nap, then 8 more
    # still in flight when the server is killed; then 10 after the restart.
    async with StigmerClient(platform.server.address) as client:
        running = [await _create(client, applied, n) for n in range(RUNNING)]
        in_flight = []
        for n in range(RUNNING, RUNNING + IN_FLIGHT):
            in_flight.append(asyncio.create_task(_create(client, applied, n)))
            await asyncio.sleep(CREATE_SPACING)
        platform.server.kill()  # SIGKILL
        killed_at = time.monotonic()
        before = [*running, *await asyncio.gather(*in_flight)]
    await asyncio.sleep(OUTAGE)
    platform.server = start_server(
        platform.server.data_dir,
        log_path=platform.tmp / "server-restarted.log",
        env=platform.env,
        address=platform.server.address,
    )
    restarted_at = time.monotonic()
    async with StigmerClient(platform.server.address) as client:
        after = await asyncio.gather(
            *(_create(client, applied, n) for n in range(BEFORE_KILL, BEFORE_KILL + AFTER))
        )
    results = [*before, *after]

    acknowledged = {n: r for n, r in enumerate(results) if isinstance(r, str)}
    refused = [n for n, r in enumerate(results) if not isinstance(r, str)]
    assert len(acknowledged) >= 20, [str(r) for r in results]

    # Every execution stored at all (acknowledged or not) reaches a terminal phase.
    async with asyncio.timeout(TIMEOUT):
        while True:
            stored = await _all_executions(platform.server.address)
            if all(
                e.status.phase != phase_pb2.PENDING and e.status.phase != phase_pb2.IN_PROGRESS
                for e in stored
            ):
                break
            await asyncio.sleep(0.5)
    done_at = time.monotonic()

    by_id = {e.metadata.id: e for e in stored}
    assert set(acknowledged.values()) <= set(by_id), "an acknowledged execution was lost"
    for n, execution_id in acknowledged.items():
        final = by_id[execution_id].status
        assert final.phase == phase_pb2.COMPLETED, (execution_id, final, platform.logs())
        assert json_format.MessageToDict(final.output) == {"n": n, "doubled": 2 * n}
        assert [t.name for t in final.tasks] == ["nap", "double"]
    unacknowledged = [e for e in stored if e.metadata.id not in set(acknowledged.values())]
    for execution in unacknowledged:
        n = int(execution.spec.input["n"])
        assert execution.status.phase == phase_pb2.COMPLETED, (execution, platform.logs())
        assert json_format.MessageToDict(execution.status.output) == {"n": n, "doubled": 2 * n}
    print(
        f"\n{BEFORE_KILL}+{AFTER} Creates, server killed after {BEFORE_KILL} and SERVING "
        f"again {restarted_at - killed_at:.1f}s later: {len(acknowledged)} acknowledged and "
        f"COMPLETED, {len(refused)} answered an error ({len(unacknowledged)} of them stored "
        f"anyway, all COMPLETED); all terminal {done_at - restarted_at:.1f}s after the restart"
    )
