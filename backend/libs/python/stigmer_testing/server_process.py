"""A real stigmer-server process for cross-service tests and the benchmark.

Started as ``python -m stigmer_server`` with this interpreter and this
process's ``sys.path`` as PYTHONPATH, which works the same from the virtualenv
and from Bazel runfiles (where the server is a data/dep of the test). Ready
means the gRPC health service answers SERVING; a process that dies first fails
the caller with its log.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

#: Test processes serve metrics/health on any free port: many run at once on one
#: host, so the deployed defaults (9090, 3000) would collide. A test that scrapes
#: passes its own addresses in ``extra``.
TEST_OBSERVABILITY_ENV = {
    "STIGMER_METRICS_ADDRESS": "127.0.0.1:0",
    "STIGMER_HEALTH_ADDRESS": "off",
}


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class ServerProcess:
    """A running server: its address, data directory and log file."""

    process: subprocess.Popen[bytes]
    address: str
    data_dir: Path
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    def logs(self) -> str:
        """Everything the server wrote to stdout/stderr so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM (graceful shutdown) and wait; SIGKILL if it does not exit in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs (the durability tests' crash)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def server_environment(
    data_dir: Path, address: str, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of a server process: ours, its data dir and address, ``extra``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    env["STIGMER_DATA_DIR"] = str(data_dir)
    env["STIGMER_GRPC_ADDRESS"] = address
    env["PYTHONUNBUFFERED"] = "1"
    env.update(TEST_OBSERVABILITY_ENV)
    env.update(extra or {})
    return env


def start_server(
    data_dir: Path,
    *,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    address: str | None = None,
    ready_timeout: float = 30.0,
) -> ServerProcess:
    """Start ``python -m stigmer_server`` and wait until it is SERVING.

    Args:
        data_dir: The RocksDB directory (``STIGMER_DATA_DIR``).
        log_path: Where the server's stdout and stderr go.
        env: Extra environment (Temporal address, queue overrides, API keys...).
        address: ``host:port`` to listen on (default: a free loopback port); pass
            a previous server's address to restart "the same" server.
        ready_timeout: Seconds to wait for the health service to say SERVING.
    """
    address = address or f"127.0.0.1:{free_port()}"
    full_env = server_environment(data_dir, address, env)
    log = log_path.open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "stigmer_server"],
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    server = ServerProcess(process, address, data_dir, log_path, full_env)
    try:
        wait_until_serving(server, timeout=ready_timeout)
    except BaseException:
        server.kill()
        raise
    return server


def wait_until_serving(server: ServerProcess, *, timeout: float) -> None:
    """Poll the gRPC health service until SERVING; fail with the log if the process died."""
    deadline = time.monotonic() + timeout
    last_error = "no answer yet"
    with _health_channel(server) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(
                    f"stigmer-server exited with {server.process.returncode} before serving:\n"
                    f"{server.logs()}"
                )
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=1.0)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
                last_error = f"status {reply.status}"
            except grpc.RpcError as error:
                last_error = str(error.code())
            time.sleep(0.1)
    raise TimeoutError(
        f"stigmer-server at {server.address} not SERVING after {timeout}s ({last_error}):\n"
        f"{server.logs()}"
    )


def _health_channel(server: ServerProcess) -> grpc.Channel:
    """Plaintext, or TLS trusting ``STIGMER_SERVICE_CA_FILE`` of the server's environment
    when it serves TLS (``STIGMER_TLS_CERT_FILE``): tests hand both to server and runner."""
    if not server.env.get("STIGMER_TLS_CERT_FILE"):
        return grpc.insecure_channel(server.address)
    with open(server.env["STIGMER_SERVICE_CA_FILE"], "rb") as ca:
        roots = ca.read()
    return grpc.secure_channel(server.address, grpc.ssl_channel_credentials(roots))
