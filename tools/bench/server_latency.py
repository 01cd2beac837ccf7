"""Latency and throughput of stigmer-server's get and create over loopback.

Not a test: a measurement to read. It starts a real server process (its own
RocksDB directory, no Temporal: resource writes do not need it), then drives
each operation from ``--concurrency`` concurrent callers on one channel and
reports p50/p99 latency and throughput. Absolute numbers depend on the
machine, so each figure is also given as a ratio to baselines measured in the
same run:

- ``health``: the gRPC health Check RPC on the same server: the floor of one
  unary call through grpcio (framing, loopback, event loops) with no work;
- ``rocksdict get``: a raw in-process get of a record of the same size, the
  floor of the storage step alone.

With ``--with-temporal`` a Temporal dev server is started too and the create of
a WorkflowExecution is measured: persist PENDING + start the orchestration
workflow (no runner is attached, so runs stay pending; the server's own
orchestration worker still processes their first workflow task meanwhile).

Run: ``bazel run //tools/bench:server_latency -- --concurrency 16`` or, from the
virtualenv, ``PYTHONPATH=gen/python:backend/libs/python:backend/services/stigmer-server
.venv/bin/python tools/bench/server_latency.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import grpc
from closed_loop import LoopFigures, closed_loop, loop_figures
from grpc_health.v1 import health_pb2, health_pb2_grpc
from rocksdict import Rdict
from stigmer.commons.v1 import io_pb2 as commons_io
from stigmer.workflow.v1 import api_pb2 as workflow_api
from stigmer.workflow.v1 import command_pb2_grpc as workflow_command
from stigmer.workflow.v1 import query_pb2_grpc as workflow_query
from stigmer.workflowexecution.v1 import api_pb2 as workflowexecution_api
from stigmer.workflowexecution.v1 import command_pb2_grpc as execution_command
from stigmer_common.temporal_dev_server import start_dev_server
from stigmer_testing.server_process import free_port, start_server


@dataclass(frozen=True)
class Figures:
    """One operation's measurement."""

    operation: str
    requests: int
    concurrency: int
    p50_ms: float
    p99_ms: float
    throughput_per_s: float

    @classmethod
    def of(cls, operation: str, loop: LoopFigures) -> Figures:
        return cls(
            operation=operation,
            requests=loop.runs,
            concurrency=loop.concurrency,
            p50_ms=loop.p50_ms,
            p99_ms=loop.p99_ms,
            throughput_per_s=loop.throughput_per_s,
        )


async def measure(
    operation: str, call: Callable[[int], Awaitable[object]], *, requests: int, concurrency: int
) -> Figures:
    """Run ``call(i)`` for i in range(requests) from ``concurrency`` closed-loop callers."""
    loop = await closed_loop(call, calls=requests, concurrency=concurrency)
    return Figures.of(operation, loop)


def workflow_request(index: int, run: str) -> workflow_api.Workflow:
    """A valid one-task workflow with a unique name (create refuses duplicate slugs)."""
    request = workflow_api.Workflow(api_version="stigmer.ai/v1", kind="Workflow")
    request.metadata.name = f"bench-{run}-{index}"
    request.spec.document.dsl = "1.0.0"
    request.spec.document.namespace = "bench"
    request.spec.document.name = f"bench-{index}"
    request.spec.document.version = "1.0.0"
    task = request.spec.tasks.add(name="greet", kind=workflow_api.SET)
    task.task_config.update({"variables": {"greeting": "hello", "index": index}})
    return request


def rocksdict_get_baseline(record: bytes, *, requests: int) -> Figures:
    """Raw in-process gets of ``record``-sized values: the storage floor."""
    with tempfile.TemporaryDirectory(prefix="bench-rocksdict-") as directory:
        db = Rdict(directory)
        keys = [f"k{i:08d}".encode() for i in range(min(requests, 10_000))]
        for key in keys:
            db[key] = record
        latencies: list[float] = []
        wall_start = time.perf_counter()
        for i in range(requests):
            started = time.perf_counter()
            db[keys[i % len(keys)]]
            latencies.append(time.perf_counter() - started)
        wall = time.perf_counter() - wall_start
        db.close()
    return Figures.of(
        "baseline: rocksdict get (in-process)",
        loop_figures(latencies, concurrency=1, wall_s=wall),
    )


async def run_benchmark(
    address: str, *, requests: int, concurrency: int, with_temporal: bool = False
) -> list[Figures]:
    """Warm up, then measure health (baseline), create and get on one channel."""
    run = str(os.getpid())
    async with grpc.aio.insecure_channel(address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        commands = workflow_command.WorkflowCommandControllerStub(channel)
        queries = workflow_query.WorkflowQueryControllerStub(channel)
        check = health_pb2.HealthCheckRequest()

        warm = [await commands.Create(workflow_request(i, f"warm{run}")) for i in range(50)]
        for _ in range(100):
            await health.Check(check)
            await queries.Get(commons_io.ApiResourceId(value=warm[0].metadata.id))

        results = [
            await measure(
                "baseline: health Check RPC",
                lambda _i: health.Check(check),
                requests=requests,
                concurrency=concurrency,
            )
        ]
        ids: list[str] = []

        async def create(index: int) -> None:
            created = await commands.Create(workflow_request(index, run))
            ids.append(created.metadata.id)

        results.append(
            await measure("Workflow Create", create, requests=requests, concurrency=concurrency)
        )

        async def get(index: int) -> None:
            await queries.Get(commons_io.ApiResourceId(value=ids[index % len(ids)]))

        results.append(
            await measure("Workflow Get", get, requests=requests, concurrency=concurrency)
        )
        # Again after the resource ops: the spread between the two baseline rows is the
        # run-to-run noise to read the other ratios against.
        results.append(
            await measure(
                "baseline: health Check RPC (again)",
                lambda _i: health.Check(check),
                requests=requests,
                concurrency=concurrency,
            )
        )
        if with_temporal:
            executions = execution_command.WorkflowExecutionCommandControllerStub(channel)

            async def create_execution(index: int, phase: str = "m") -> None:
                request = workflowexecution_api.WorkflowExecution(
                    api_version="stigmer.ai/v1", kind="WorkflowExecution"
                )
                request.metadata.name = f"bench-run-{run}-{phase}{index}"
                request.spec.workflow_id = ids[0]
                await executions.Create(request)

            for index in range(20):  # warm the Temporal path (client, default instance)
                await create_execution(index, "warm")
            results.append(
                await measure(
                    "WorkflowExecution Create (+Temporal start)",
                    create_execution,
                    requests=requests,
                    concurrency=concurrency,
                )
            )
    record = workflow_request(0, run).SerializeToString()
    results.append(rocksdict_get_baseline(record, requests=requests))
    return results


def render(results: list[Figures]) -> str:
    """A table with each figure and its ratio to the health-check baseline."""
    base = results[0]
    lines = [
        f"{'operation':44} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>9}  "
        f"{'p50 x':>6} {'p99 x':>6} {'thr x':>6}  (x = ratio to health Check)"
    ]
    for r in results:
        lines.append(
            f"{r.operation:44} {r.p50_ms:8.3f} {r.p99_ms:8.3f} {r.throughput_per_s:9.0f}  "
            f"{r.p50_ms / base.p50_ms:6.2f} {r.p99_ms / base.p99_ms:6.2f} "
            f"{r.throughput_per_s / base.throughput_per_s:6.2f}"
        )
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> list[Figures]:
    """Start the server (and Temporal when asked), measure, stop everything."""
    temporal = await start_dev_server() if args.with_temporal else None
    try:
        temporal_env = (
            {
                "TEMPORAL_HOST_PORT": temporal.client.service_client.config.target_host,
                "TEMPORAL_NAMESPACE": temporal.client.namespace,
            }
            if temporal is not None
            # No Temporal needed for resource reads/writes; fail fast at boot.
            else {"TEMPORAL_HOST_PORT": f"127.0.0.1:{free_port()}"}
        )
        with tempfile.TemporaryDirectory(prefix="stigmer-bench-") as directory:
            root = Path(directory)
            server = start_server(
                root / "data",
                log_path=root / "server.log",
                env={
                    **temporal_env,
                    "STIGMER_LOG_LEVEL": "WARNING",
                    "STIGMER_PAYLOAD_KEYS": "bench=" + "A" * 43 + "=",
                },
            )
            try:
                return await run_benchmark(
                    server.address,
                    requests=args.requests,
                    concurrency=args.concurrency,
                    with_temporal=temporal is not None,
                )
            finally:
                server.stop()
    finally:
        if temporal is not None:
            await temporal.shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="per operation (default 2000)")
    parser.add_argument("--concurrency", type=int, default=16, help="callers (default 16)")
    parser.add_argument(
        "--with-temporal",
        action="store_true",
        help="also measure WorkflowExecution create against a Temporal dev server",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.concurrency < 1:
        parser.error("--requests and --concurrency must be positive")
    results = asyncio.run(run(args))
    if args.json:
        print(json.dumps([asdict(r) for r in results], indent=2))
    else:
        print(f"stigmer-server over loopback, {os.cpu_count()} CPUs, client and server on one host")
        print(render(results))
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
