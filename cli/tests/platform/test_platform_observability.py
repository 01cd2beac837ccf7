"""End to end: every process serves /metrics, /healthz and /readyz, and logs JSON lines.

A real server and runner on a real dev server run one execution; each
endpoint is scraped before and after it and the counters that the run must
move are checked (ours and the Temporal SDK's), readiness is 200 with every
check named, and the log lines about the execution carry its id.
"""

from __future__ import annotations

import functools
import json

import pytest
from e2e_platform import Platform, followed_to_end
from observability_scrape import (
    endpoint_address,
    eventually,
    eventually_grown,
    get,
    log_records,
    samples,
    total,
)
from stigmer.commons.v1 import phase_pb2
from stigmer_cli.api import StigmerClient
from stigmer_dsl.converter import workflow_from_dsl

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]


def _ready(address: str) -> bool:
    status, _ = get(address, "/readyz")
    return bool(status == 200)


async def test_each_process_serves_moving_metrics_health_and_json_logs(
    platform: Platform, hello_document: dict[str, object]
) -> None:
    assert platform.runner is not None
    server_address = await endpoint_address(platform.server.log_path)
    runner_address = await endpoint_address(platform.runner.log_path)
    assert server_address != runner_address

    # Ready once the store is open, Temporal answers and the workers poll.
    for address in (server_address, runner_address):
        await eventually(functools.partial(_ready, address), f"{address}/readyz 200")
        status, body = get(address, "/readyz")
        checks = json.loads(body)["checks"]
        assert status == 200 and checks and all(checks.values()), body
        status, body = get(address, "/healthz")
        assert status == 200 and json.loads(body)["status"] == "alive", body
    assert set(json.loads(get(server_address, "/readyz")[1])["checks"]) == {
        "store",
        "temporal",
        "workers",
    }

    server_before = samples(server_address)
    runner_before = samples(runner_address)

    workflow, _ = workflow_from_dsl(hello_document)
    client = StigmerClient(platform.server.address)
    applied = await client.apply_workflow(workflow)
    execution = await client.start_execution(applied, {"name": "metrics"})
    execution_id = execution.metadata.id
    final = await followed_to_end(client, execution_id)
    assert final.status.phase == phase_pb2.COMPLETED, platform.logs()

    # The runner's counters move with the run: progress reports, task durations,
    # its UpdateStatus calls to the server, the SDK's activity metrics.
    await eventually_grown(
        runner_address,
        runner_before,
        [
            ("stigmer_progress_reports_total", {"result": "sent"}),
            ("stigmer_task_duration_seconds_count", {"phase": "COMPLETED"}),
            ("grpc_client_handled_total", {"grpc_method": "UpdateStatus", "grpc_code": "OK"}),
            ("grpc_client_handling_seconds_count", {"grpc_method": "UpdateStatus"}),
            ("temporal_activity_execution_latency_seconds_count", {}),
        ],
    )
    await eventually_grown(
        server_address,
        server_before,
        [
            ("stigmer_executions_started_total", {"kind": "workflow"}),
            ("stigmer_executions_finished_total", {"kind": "workflow", "phase": "COMPLETED"}),
            ("grpc_server_handled_total", {"grpc_method": "UpdateStatus", "grpc_code": "OK"}),
            ("grpc_server_handling_seconds_count", {"grpc_method": "Create"}),
            ("temporal_workflow_completed_total", {}),
        ],
    )
    after = samples(server_address)
    # The SDK's poller health is there too, labelled with our service name.
    assert total(after, "temporal_num_pollers", service="stigmer-server") > 0

    # Logs: JSON lines, and the runner's lines about the run carry its id.
    runner_records = log_records(platform.runner.log_path)
    raw = [r for r in runner_records if "raw" in r]
    assert not raw, raw[:5]
    about = [r for r in runner_records if r.get("execution_id") == execution_id]
    assert about, runner_records[-20:]
    assert all(r["service"] == "workflow-runner" for r in about)
    assert not [r for r in runner_records if "imported after initial workflow load" in str(r)]
    server_records = log_records(platform.server.log_path)
    assert server_records and not [r for r in server_records if "raw" in r]
