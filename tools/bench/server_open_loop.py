"""stigmer-server under open-loop load: Get vs the health check, and Create with 20 callers.

Not a test: a measurement to read (issue 16). It starts real server processes
(own RocksDB directories, a Temporal dev server for WorkflowExecution Create)
and measures, in one run:

- ``open loop``: requests sent at a fixed rate (``--rate``, 1000/s) whatever the
  answers do, latency counted from each request's *scheduled* send time (no
  coordinated omission): the gRPC health Check (the floor of one unary call
  through grpcio on that server) and a Workflow Get, in alternating stretches
  (health, get, health, get...) so drifting machine load hits both alike.
  Reported: p50/p99 of each and Get/health ratios.
  Also the median over stretches of each stretch's p99 (``stretch_p99_median_ms``):
  on a shared machine one bad second sets the pooled p99 of a whole run, the
  per-stretch median says what a typical stretch's tail was.
- ``create``: ``--callers`` (20) closed-loop callers creating Workflows, then
  WorkflowExecutions (persist + start the orchestration workflow): p50/p99;
  failed creates counted, their status codes in ``closed_loop_errors``.
- ``status update``: ``--subscribers`` (5) Subscribe streams on one execution
  while 4 closed-loop callers send ``--updates`` UpdateStatus reports to it (the
  runner's progress path): p50/p99 of UpdateStatus, server CPU per update
  (fan-out to the subscribers included).

With ``--baseline-tree DIR`` a second server runs the stigmer-server sources of
another checkout (e.g. main) beside this one, both on the same dev server, and
every stretch is measured on both, alternating: the report then holds
before/after ratios from the same run.

Run: ``bazel run //tools/bench:server_open_loop`` or, from the virtualenv,
``PYTHONPATH=gen/python:backend/libs/python:backend/services/stigmer-server
.venv/bin/python tools/bench/server_open_loop.py [--baseline-tree /path/to/main]``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from closed_loop import closed_loop, percentile
from grpc_health.v1 import health_pb2, health_pb2_grpc
from stigmer.commons.v1 import io_pb2 as commons_io
from stigmer.commons.v1 import phase_pb2
from stigmer.workflow.v1 import api_pb2 as workflow_api
from stigmer.workflow.v1 import command_pb2_grpc as workflow_command
from stigmer.workflow.v1 import query_pb2_grpc as workflow_query
from stigmer.workflowexecution.v1 import api_pb2 as workflowexecution_api
from stigmer.workflowexecution.v1 import command_pb2_grpc as execution_command
from stigmer.workflowexecution.v1 import io_pb2 as workflowexecution_io
from stigmer.workflowexecution.v1 import query_pb2_grpc as execution_query
from stigmer_common.temporal_dev_server import start_dev_server
from stigmer_testing.server_process import ServerProcess, free_port, start_server

Call = Callable[[], Awaitable[object]]
LoopCall = Callable[[int], Awaitable[object]]


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


#: Status codes of failed open-loop calls, over the whole run (printed with the report).
ERROR_CODES: dict[str, int] = {}
#: The same for the closed-loop creates (counted as failures, the loop goes on).
CLOSED_LOOP_ERROR_CODES: dict[str, int] = {}


def record_error(error: grpc.aio.AioRpcError, codes: dict[str, int]) -> None:
    """Count ``error`` under its status code and details in ``codes``."""
    code = f"{error.code().name}: {error.details()}"[:120]
    codes[code] = codes.get(code, 0) + 1


def recording_errors(call: LoopCall) -> LoopCall:
    """``call`` with its gRPC errors counted in ``CLOSED_LOOP_ERROR_CODES``, then re-raised."""

    async def recorded(index: int) -> object:
        try:
            return await call(index)
        except grpc.aio.AioRpcError as error:
            record_error(error, CLOSED_LOOP_ERROR_CODES)
            raise

    return recorded


async def open_loop(call: Call, *, rate: float, seconds: float) -> tuple[list[float], int]:
    """Send ``call()`` at ``rate`` per second for ``seconds``; latencies from the schedule.

    Returns the sorted latencies (s) of the calls that succeeded and the error count.
    """
    # time.monotonic, not loop.time(): uvloop's loop clock is in whole milliseconds.
    clock = time.monotonic
    latencies: list[float] = []
    errors = 0
    total = int(rate * seconds)
    start = clock() + 0.05

    async def one(scheduled: float) -> None:
        nonlocal errors
        try:
            await call()
        except grpc.aio.AioRpcError as error:
            errors += 1
            record_error(error, ERROR_CODES)
            return
        latencies.append(clock() - scheduled)

    tasks: list[asyncio.Task[None]] = []
    for index in range(total):
        scheduled = start + index / rate
        delay = scheduled - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(scheduled)))
    await asyncio.gather(*tasks)
    latencies.sort()
    return latencies, errors


def workflow_request(name: str) -> workflow_api.Workflow:
    """A valid one-task workflow named ``name`` (create refuses duplicate slugs)."""
    request = workflow_api.Workflow(api_version="stigmer.ai/v1", kind="Workflow")
    request.metadata.name = name
    request.spec.document.dsl = "1.0.0"
    request.spec.document.namespace = "bench"
    request.spec.document.name = name
    request.spec.document.version = "1.0.0"
    task = request.spec.tasks.add(name="greet", kind=workflow_api.SET)
    task.task_config.update({"variables": {"greeting": "hello"}})
    return request


@dataclass
class Target:
    """One server under test and its stubs."""

    label: str
    server: ServerProcess
    channel: grpc.aio.Channel
    workflow_ids: list[str]

    @property
    def health(self) -> health_pb2_grpc.HealthStub:
        return health_pb2_grpc.HealthStub(self.channel)

    @property
    def commands(self) -> workflow_command.WorkflowCommandControllerStub:
        return workflow_command.WorkflowCommandControllerStub(self.channel)

    @property
    def queries(self) -> workflow_query.WorkflowQueryControllerStub:
        return workflow_query.WorkflowQueryControllerStub(self.channel)

    @property
    def executions(self) -> execution_command.WorkflowExecutionCommandControllerStub:
        return execution_command.WorkflowExecutionCommandControllerStub(self.channel)

    @property
    def execution_queries(self) -> execution_query.WorkflowExecutionQueryControllerStub:
        return execution_query.WorkflowExecutionQueryControllerStub(self.channel)


def execution_request(name: str, workflow_id: str) -> workflowexecution_api.WorkflowExecution:
    """A WorkflowExecution of ``workflow_id`` named ``name``."""
    request = workflowexecution_api.WorkflowExecution(
        api_version="stigmer.ai/v1", kind="WorkflowExecution"
    )
    request.metadata.name = name
    request.spec.workflow_id = workflow_id
    return request


def status_report(
    execution_id: str, index: int
) -> workflowexecution_io.WorkflowExecutionUpdateStatusInput:
    """A runner's progress report: IN_PROGRESS, one of 20 tasks with an output."""
    report = workflowexecution_io.WorkflowExecutionUpdateStatusInput(execution_id=execution_id)
    report.status.phase = phase_pb2.IN_PROGRESS
    task = report.status.tasks.add(
        task_id=f"task-{index % 20}", name=f"task-{index % 20}", type="set"
    )
    task.status = phase_pb2.IN_PROGRESS
    task.output.string_value = f"output {index}"
    return report


async def status_updates(
    target: Target, run: str, round_index: int, args: argparse.Namespace
) -> tuple[list[float], float, int]:
    """``--updates`` reports from 4 callers to one execution with ``--subscribers`` open.

    Returns the sorted latencies, the server CPU they used, and the changes the
    subscribers received (waited for: every report changes the status, so every
    one must reach every subscriber).
    """
    created = await target.executions.Create(
        execution_request(f"bench-status-{run}-{round_index}", target.workflow_ids[0])
    )
    execution_id = created.metadata.id
    received = [0] * args.subscribers
    changed = asyncio.Event()

    async def subscribe(index: int) -> None:
        stream = target.execution_queries.Subscribe(commons_io.ApiResourceId(value=execution_id))
        async for _ in stream:
            received[index] += 1
            changed.set()

    async def every_subscriber_has(count: int) -> None:
        async with asyncio.timeout(60):
            while True:
                changed.clear()
                if min(received) >= count:
                    return
                await changed.wait()

    streams = [asyncio.ensure_future(subscribe(i)) for i in range(args.subscribers)]
    await every_subscriber_has(1)  # subscribed: the current state arrived
    await target.executions.UpdateStatus(status_report(execution_id, 0))
    await every_subscriber_has(2)
    before = process_cpu_seconds(target.server.process.pid)
    # Strict: a failed update would also be missing from the subscribers' count.
    loop = await closed_loop(
        lambda i: target.executions.UpdateStatus(status_report(execution_id, i + 1)),
        calls=args.updates,
        concurrency=4,
    )
    used = process_cpu_seconds(target.server.process.pid) - before
    await every_subscriber_has(2 + args.updates)
    for stream in streams:
        stream.cancel()
    return list(loop.latencies_s), used, min(received, default=0) - 2


def summary(latencies: list[float], errors: int = 0) -> dict[str, float]:
    """p50/p99/max in ms and the count."""
    if not latencies:
        return {"n": 0, "errors": errors}
    return {
        "n": len(latencies),
        "errors": errors,
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 3),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 3),
        "max_ms": round(latencies[-1] * 1000, 3),
    }


def health_call(target: Target, check: health_pb2.HealthCheckRequest) -> Call:
    """One health Check on ``target``."""
    stub = target.health
    return lambda: stub.Check(check)


def get_call(target: Target) -> Call:
    """One Get of ``target``'s workflows, round robin."""
    stub, ids, counter = target.queries, target.workflow_ids, iter(range(10**9))
    return lambda: stub.Get(commons_io.ApiResourceId(value=ids[next(counter) % len(ids)]))


async def measure(targets: list[Target], args: argparse.Namespace) -> dict[str, object]:
    """Every stretch on every target, alternating; returns the report."""
    run = str(os.getpid())
    check = health_pb2.HealthCheckRequest()
    for target in targets:  # warm-up: channel, handlers, store caches
        for i in range(50):
            created = await target.commands.Create(workflow_request(f"warm-{run}-{i}"))
            target.workflow_ids.append(created.metadata.id)
        for _ in range(200):
            await target.health.Check(check)
            await target.queries.Get(commons_io.ApiResourceId(value=target.workflow_ids[0]))

    # This client is Python too: keep its own full collections (its imports' heap)
    # out of the latencies it measures, as the server does with its own.
    gc.collect()
    gc.freeze()
    load_at_start = os.getloadavg()
    samples: dict[tuple[str, str], list[float]] = {}
    stretch_p99: dict[tuple[str, str], list[float]] = {}
    errors: dict[tuple[str, str], int] = {}
    cpu: dict[tuple[str, str], float] = {}

    def add(label: str, op: str, values: list[float], failed: int = 0, used: float = 0.0) -> None:
        if values:
            stretch_p99.setdefault((label, op), []).append(percentile(sorted(values), 0.99))
        samples.setdefault((label, op), []).extend(values)
        errors[(label, op)] = errors.get((label, op), 0) + failed
        cpu[(label, op)] = cpu.get((label, op), 0.0) + used

    for round_index in range(args.rounds):
        order = targets if round_index % 2 == 0 else list(reversed(targets))
        for target in order:
            stretches: list[tuple[str, Call]] = [
                ("health", health_call(target, check)),
                ("get", get_call(target)),
            ]
            if round_index % 2:
                stretches.reverse()
            for op, call in stretches:
                before = process_cpu_seconds(target.server.process.pid)
                values, failed = await open_loop(call, rate=args.rate, seconds=args.seconds)
                used = process_cpu_seconds(target.server.process.pid) - before
                add(target.label, op, values, failed, used)

    for round_index in range(args.rounds):
        order = targets if round_index % 2 == 0 else list(reversed(targets))
        for target in order:
            commands = target.commands

            async def create(index: int, c: object = commands, r: int = round_index) -> None:
                await c.Create(workflow_request(f"bench-{run}-{r}-{index}"))  # type: ignore[attr-defined]

            before = process_cpu_seconds(target.server.process.pid)
            loop = await closed_loop(
                recording_errors(create),
                calls=args.creates,
                concurrency=args.callers,
                failures=(grpc.aio.AioRpcError,),
            )
            used = process_cpu_seconds(target.server.process.pid) - before
            add(target.label, "workflow create", list(loop.latencies_s), loop.failures, used)
            if args.with_temporal:
                executions, workflow_id = target.executions, target.workflow_ids[0]

                async def create_execution(
                    index: int, e: object = executions, w: str = workflow_id, r: int = round_index
                ) -> None:
                    request = execution_request(f"bench-run-{run}-{r}-{index}", w)
                    await e.Create(request)  # type: ignore[attr-defined]

                before = process_cpu_seconds(target.server.process.pid)
                loop = await closed_loop(
                    recording_errors(create_execution),
                    calls=args.creates,
                    concurrency=args.callers,
                    failures=(grpc.aio.AioRpcError,),
                )
                used = process_cpu_seconds(target.server.process.pid) - before
                add(target.label, "execution create", list(loop.latencies_s), loop.failures, used)
            values, used, delivered = await status_updates(target, run, round_index, args)
            add(target.label, "status update", values, used=used)
            if delivered != args.updates:
                raise RuntimeError(
                    f"{target.label}: subscribers got {delivered} of {args.updates} changes"
                )

    report: dict[str, object] = {
        "rate_per_s": args.rate,
        "seconds_per_stretch": args.seconds,
        "rounds": args.rounds,
        "callers": args.callers,
        "cpus": os.cpu_count(),
        "load_average": load_at_start,
    }
    report["load_average_after"] = os.getloadavg()
    figures: dict[str, dict[str, dict[str, float]]] = {}
    for (label, op), values in samples.items():
        values.sort()
        figures.setdefault(label, {})[op] = {
            **summary(values, errors[(label, op)]),
            "stretch_p99_median_ms": round(
                statistics.median(stretch_p99.get((label, op), [0.0])) * 1000, 3
            ),
            # Server CPU per request: the steadier figure on a shared machine.
            "server_cpu_us": round(cpu[(label, op)] / max(1, len(values)) * 1e6, 1),
        }
    report["figures"] = figures
    ratios: dict[str, dict[str, float]] = {}
    for label, ops in figures.items():
        health_figures, get_figures = ops["health"], ops["get"]
        ratios[label] = {
            "get/health p50": round(get_figures["p50_ms"] / health_figures["p50_ms"], 2),
            "get/health p99": round(get_figures["p99_ms"] / health_figures["p99_ms"], 2),
            "get/health stretch p99 median": round(
                get_figures["stretch_p99_median_ms"] / health_figures["stretch_p99_median_ms"], 2
            ),
            "get/health server cpu": round(
                get_figures["server_cpu_us"] / health_figures["server_cpu_us"], 2
            ),
        }
    if len(targets) == 2:
        old, new = targets[1].label, targets[0].label
        for op in figures[new]:
            for stat in ("p50_ms", "p99_ms", "stretch_p99_median_ms", "server_cpu_us"):
                if stat not in figures[new][op] or not figures[old][op].get(stat):
                    continue  # every call of the stretch failed on one side
                ratios.setdefault("after/before", {})[f"{op} {stat}"] = round(
                    figures[new][op][stat] / figures[old][op][stat], 2
                )
    report["ratios"] = ratios
    report["open_loop_errors"] = ERROR_CODES
    report["closed_loop_errors"] = CLOSED_LOOP_ERROR_CODES
    return report


def baseline_path(tree: str) -> str:
    """This process's import path with this checkout's entries moved to ``tree``."""
    base = Path(tree).resolve()
    here = Path(__file__).resolve().parents[2]
    entries = (Path(e).resolve() for e in sys.path if e)
    return os.pathsep.join(
        str(base / p.relative_to(here)) if p.is_relative_to(here) else str(p) for p in entries
    )


async def run(args: argparse.Namespace) -> dict[str, object]:
    """Start the dev server and the server(s), measure, stop everything."""
    temporal = await start_dev_server() if args.with_temporal else None
    servers: list[ServerProcess] = []
    try:
        env = {
            "STIGMER_LOG_LEVEL": "WARNING",
            "STIGMER_PAYLOAD_KEYS": "bench=" + "A" * 43 + "=",
        }
        # Resource reads/writes do not need Temporal: without it, point at nothing.
        env["TEMPORAL_HOST_PORT"] = f"127.0.0.1:{free_port()}"
        if temporal is not None:
            env["TEMPORAL_HOST_PORT"] = temporal.client.service_client.config.target_host
            env["TEMPORAL_NAMESPACE"] = temporal.client.namespace
        trees: list[tuple[str, dict[str, str]]] = [("this", {})]
        if args.baseline_tree:
            trees.append(("baseline", {"PYTHONPATH": baseline_path(args.baseline_tree)}))
        with tempfile.TemporaryDirectory(prefix="stigmer-open-loop-") as directory:
            root = Path(directory)
            targets: list[Target] = []
            for index, (label, extra) in enumerate(trees):
                server = start_server(
                    root / f"data{index}",
                    log_path=root / f"server{index}.log",
                    env={**env, **extra},
                )
                servers.append(server)
                channel = grpc.aio.insecure_channel(server.address)
                targets.append(Target(label, server, channel, []))
            try:
                return await measure(targets, args)
            finally:
                for target in targets:
                    await target.channel.close()
    finally:
        for server in servers:
            server.stop()
        if temporal is not None:
            await temporal.shutdown()


def run_loop(main: Coroutine[Any, Any, dict[str, object]]) -> dict[str, object]:
    """The client on uvloop when installed: this process shares the cores with the
    servers it measures, and spends less of them on its own event loop there."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=1000.0, help="open-loop requests/s")
    parser.add_argument("--seconds", type=float, default=5.0, help="per open-loop stretch")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds")
    parser.add_argument("--callers", type=int, default=20, help="closed-loop create callers")
    parser.add_argument("--creates", type=int, default=200, help="creates per stretch")
    parser.add_argument("--updates", type=int, default=500, help="status updates per stretch")
    parser.add_argument("--subscribers", type=int, default=5, help="Subscribe streams open")
    parser.add_argument("--with-temporal", action="store_true", help="also WorkflowExecution")
    parser.add_argument("--baseline-tree", help="a checkout whose server is the 'before'")
    args = parser.parse_args(argv)
    if (
        args.rate <= 0
        or args.seconds <= 0
        or min(args.rounds, args.callers, args.creates, args.updates) < 1
    ):
        parser.error(
            "--rate, --seconds, --rounds, --callers, --creates and --updates must be positive"
        )
    report = run_loop(run(args))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
