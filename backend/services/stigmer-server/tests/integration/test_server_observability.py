"""The server process's HTTP endpoints: not ready without Temporal (yet alive and
serving gRPC, gRPC health included), flags choosing the ports, RPC metrics by method."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client.parser import text_string_to_metric_families
from stigmer.commons.v1 import io_pb2
from stigmer.skill.v1 import query_pb2_grpc as skill_query
from stigmer_testing.server_process import (
    ServerProcess,
    free_port,
    server_environment,
    wait_until_serving,
)

pytestmark = pytest.mark.integration


def _get(address: str, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://{address}{path}", timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_not_ready_without_temporal_but_alive_and_serving(tmp_path: Path) -> None:
    metrics, health = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    address = f"127.0.0.1:{free_port()}"
    env = server_environment(
        tmp_path / "data",
        address,
        {"TEMPORAL_HOST_PORT": f"127.0.0.1:{free_port()}"},  # nothing listens there
    )
    log_path = tmp_path / "server.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "stigmer_server",
                "--metrics-address",
                metrics,
                "--health-address",
                health,
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = ServerProcess(process, address, tmp_path / "data", log_path, env)
    try:
        wait_until_serving(server, timeout=60)
        status, body = _get(health, "/readyz")
        assert status == 503, body
        report = json.loads(body)
        assert report["checks"] == {"store": True, "temporal": False, "workers": False}
        assert _get(health, "/healthz")[0] == 200
        # Queries and gRPC health keep working: the server degrades, it does not stop.
        with grpc.insecure_channel(address) as channel:
            skill_query.SkillQueryControllerStub(channel).List(
                io_pb2.ApiResourceListInput(), timeout=10
            )
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=10
            )
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
        status, text = _get(metrics, "/metrics")
        assert status == 200
        handled = {
            (sample.labels["grpc_method"], sample.labels["grpc_code"]): sample.value
            for family in text_string_to_metric_families(text.decode())
            if family.name == "grpc_server_handled"
            for sample in family.samples
            if sample.name == "grpc_server_handled_total"
        }
        assert handled[("List", "OK")] >= 1 and handled[("Check", "OK")] >= 1
        assert b'stigmer_readiness_check{check="temporal"} 0.0' in text
    finally:
        server.stop()
    records = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    assert any(r.get("event") == "observability_listening" for r in records)
