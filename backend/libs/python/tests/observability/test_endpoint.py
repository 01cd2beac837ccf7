"""The HTTP endpoint: /readyz is 200 only when every check passes, /healthz follows the
event loop, /metrics serves our registry; gRPC interceptors count and time RPCs."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from stigmer_observability import http_endpoint
from stigmer_observability.config import ObservabilityConfig
from stigmer_observability.grpc_metrics import ServerMetricsInterceptor, client_metrics_interceptors
from stigmer_observability.metrics import REGISTRY
from stigmer_observability.readiness import TemporalProbe, watch_workers
from stigmer_observability.setup import Observability, setup_observability


def _get(address: str, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://{address}{path}", timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def observability() -> Iterator[Observability]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    config = ObservabilityConfig(
        metrics_address="127.0.0.1:0", health_address="127.0.0.1:0", log_format="json"
    )
    started = setup_observability("test", config, temporal_sdk_metrics=False)
    yield started
    started.close()
    root.handlers[:] = handlers
    root.setLevel(level)


def test_ready_only_when_every_check_passes(observability: Observability) -> None:
    address = observability.health_address
    status, body = _get(address, "/readyz")
    assert status == 503, "no checks registered yet: not ready"
    store_open = False
    observability.readiness.add("store", lambda: store_open)
    observability.readiness.add("temporal", lambda: True)
    status, body = _get(address, "/readyz")
    assert status == 503
    assert json.loads(body)["checks"] == {"store": False, "temporal": True}
    store_open = True
    status, body = _get(address, "/readyz")
    assert status == 200 and json.loads(body)["status"] == "ready"

    def broken() -> bool:
        raise RuntimeError("boom")

    observability.readiness.add("workers", broken)
    assert _get(address, "/readyz")[0] == 503  # a check that raises fails, not the endpoint
    status, metrics = _get(observability.metrics_address, "/metrics")
    assert status == 200
    assert b'stigmer_readiness_check{check="workers"} 0.0' in metrics
    assert b'stigmer_readiness_check{check="store"} 1.0' in metrics
    assert b'stigmer_build_info{service="test"' in metrics
    assert _get(address, "/nothing")[0] == 404


async def test_liveness_follows_the_event_loop(
    observability: Observability, monkeypatch: pytest.MonkeyPatch
) -> None:
    address = observability.health_address
    monkeypatch.setattr(http_endpoint, "LIVENESS_STALL_SECONDS", 1.0)
    async with observability.running():
        await asyncio.sleep(0)
        status, body = await asyncio.to_thread(_get, address, "/healthz")
        assert status == 200 and json.loads(body)["status"] == "alive"
        time.sleep(2.5)  # the loop is stuck: nothing turns it  # noqa: ASYNC251
        status, body = _get(address, "/healthz")  # the listener has its own thread
        assert status == 503 and json.loads(body)["status"] == "stalled"
        await asyncio.sleep(1.5)
        assert (await asyncio.to_thread(_get, address, "/health"))[0] == 200


def test_a_busy_port_is_logged_and_the_process_goes_on(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = ObservabilityConfig(
            metrics_address=f"127.0.0.1:{port}", health_address="", log_format="json"
        )
        started = setup_observability("test", config, temporal_sdk_metrics=False)
        try:
            assert started.metrics_address == ""
        finally:
            started.close()
            root.handlers[:] = handlers
            root.setLevel(level)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    (failed,) = [line for line in lines if line.get("event") == "observability_listen_failed"]
    assert failed["level"] == "ERROR" and failed["address"] == f"127.0.0.1:{port}"


@dataclass
class _Worker:
    task_queue: str
    is_running: bool


def test_workers_check_needs_every_worker_polling() -> None:
    from stigmer_observability.readiness import Readiness

    readiness = Readiness()
    workers: list[_Worker] = []
    watch_workers(readiness, "workers", lambda: workers)
    assert readiness.ready() == (False, {"workers": False})  # none yet
    workers[:] = [_Worker("a", True), _Worker("b", False)]
    assert readiness.ready()[0] is False
    workers[1].is_running = True
    assert readiness.ready() == (True, {"workers": True})
    assert REGISTRY.get_sample_value("stigmer_worker_polling", {"task_queue": "b"}) == 1.0


class _Service:
    def __init__(self) -> None:
        self.up = True

    async def check_health(self, *, timeout: timedelta | None = None) -> bool:  # noqa: ASYNC109
        if not self.up:
            raise RuntimeError("connection refused")
        return True


async def test_temporal_probe_reports_the_last_answer() -> None:
    service = _Service()
    current: _Service | None = None
    probe = TemporalProbe(lambda: current, interval=timedelta(seconds=1))
    assert await probe.probe() is False  # not connected
    current = service
    assert await probe.probe() is True and probe.check()
    service.up = False
    assert await probe.probe() is False and not probe.check()


async def test_grpc_interceptors_time_and_count_rpcs_by_method_and_code() -> None:
    server = grpc.aio.server(interceptors=[ServerMetricsInterceptor()])
    servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    await servicer.set("known", health_pb2.HealthCheckResponse.SERVING)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    labels = {"grpc_service": "grpc.health.v1.Health", "grpc_method": "Check"}

    def value(name: str, **extra: str) -> float:
        return REGISTRY.get_sample_value(name, {**labels, **extra}) or 0.0

    before_ok = value("grpc_server_handled_total", grpc_code="OK")
    before_missing = value("grpc_server_handled_total", grpc_code="NOT_FOUND")
    before_client = value("grpc_client_handled_total", grpc_code="NOT_FOUND")
    before_seconds = value("grpc_server_handling_seconds_count")
    try:
        async with grpc.aio.insecure_channel(
            f"127.0.0.1:{port}", interceptors=client_metrics_interceptors()
        ) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            await stub.Check(health_pb2.HealthCheckRequest(service="known"), timeout=10)
            with pytest.raises(grpc.aio.AioRpcError) as missing:
                await stub.Check(health_pb2.HealthCheckRequest(service="unknown"), timeout=10)
            assert missing.value.code() == grpc.StatusCode.NOT_FOUND
        # The client has the status as soon as the handler aborts; the server's
        # wrapper records it a step later. Stopping the server first cancels that
        # step (a CI run under load saw NOT_FOUND uncounted): wait for both calls.
        async with asyncio.timeout(10):
            # A registry counter has no event to wait on.
            while value("grpc_server_handling_seconds_count") < before_seconds + 2:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
    finally:
        await server.stop(None)
    assert value("grpc_server_handled_total", grpc_code="OK") == before_ok + 1
    assert value("grpc_server_handled_total", grpc_code="NOT_FOUND") == before_missing + 1
    assert value("grpc_server_handling_seconds_count") == before_seconds + 2
    assert value("grpc_client_handled_total", grpc_code="NOT_FOUND") == before_client + 1
    assert value("grpc_client_handling_seconds_count") >= 2
