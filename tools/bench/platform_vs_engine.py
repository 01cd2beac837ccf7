"""The platform vs the bare engine: what Apply/Create/orchestration/Subscribe cost per run.

One dev server, one stigmer-server process, one workflow-runner process and a
loopback HTTP server, in one run, so every figure is a ratio platform / bare
measured side by side:

* **platform**: the workflow is applied once over gRPC; each run is a
  ``WorkflowExecution`` Create followed by Subscribe until the terminal phase
  (orchestration workflow on the server, ``ExecuteWorkflow`` on the runner,
  the engine with progress reports, completion by task token, status writes);
* **bare**: the same engine workflow (``ExecuteServerlessWorkflow``) started
  directly on the same runner's engine worker with a Temporal client (no
  execution id, so no progress reports), waiting for its result, as
  ``engine_vs_plain.py`` does with its own worker.

Two shapes: ``http`` (one ``call: http`` GET to the loopback server) and
``set100`` (100 ``set`` tasks). Two loads each: C=1 (sequential runs: p50/p99
latency; bare and platform runs alternate) and C=10 (ten closed-loop callers:
throughput; one side after the other). Both sides must
produce the same output. Lifecycle events are off on both sides (the
platform's default).

``bazel run //tools/bench:platform_vs_engine -- --runs 20 --concurrent-runs 60``,
or from the virtualenv with the pyproject import roots on PYTHONPATH::

    PYTHONPATH=gen/python:backend/libs/python:backend/services/stigmer-server:\\
    backend/services/workflow-runner:tools/bench .venv/bin/python tools/bench/platform_vs_engine.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc
import yaml
from closed_loop import LoopFigures, closed_loop, interleaved
from engine_vs_plain import http_definition, set_definition
from google.protobuf import struct_pb2
from platform_stack import Stack, local_http_server, platform_stack
from stigmer.commons.v1 import io_pb2, phase_pb2
from stigmer.workflow.v1 import command_pb2_grpc as workflow_command
from stigmer.workflowexecution.v1 import api_pb2 as execution_api
from stigmer.workflowexecution.v1 import command_pb2_grpc as execution_command
from stigmer.workflowexecution.v1 import query_pb2_grpc as execution_query
from stigmer_common.json_values import from_struct
from stigmer_dsl.converter import workflow_from_dsl
from temporalio.client import Client
from workflow_runner.engine.inputs import engine_input
from workflow_runner.engine.names import WORKFLOW_TYPE
from workflow_runner.wiring.settings import RunSettings

TERMINAL = (phase_pb2.COMPLETED, phase_pb2.FAILED, phase_pb2.CANCELLED)
RUN_TIMEOUT = 120.0


@dataclass(frozen=True)
class Shape:
    name: str
    definition: str
    input: dict[str, Any]


def shapes(http_uri: str, set_steps: int = 100) -> list[Shape]:
    return [
        Shape("http", http_definition(1, http_uri), {}),
        Shape(f"set{set_steps}", set_definition(set_steps), {"sum": 0}),
    ]


class PlatformSide:
    """Apply once, then Create + Subscribe per run, over one gRPC channel."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._workflows = workflow_command.WorkflowCommandControllerStub(channel)
        self._commands = execution_command.WorkflowExecutionCommandControllerStub(channel)
        self._queries = execution_query.WorkflowExecutionQueryControllerStub(channel)
        self._run = uuid.uuid4().hex[:8]

    async def apply(self, shape: Shape) -> str:
        document = yaml.safe_load(shape.definition)
        document["document"]["name"] = f"bench-{shape.name}-{self._run}"
        workflow, _ = workflow_from_dsl(document)
        applied = await self._workflows.Apply(workflow, timeout=30)
        workflow_id: str = applied.metadata.id
        return workflow_id

    async def run(self, workflow_id: str, workflow_input: dict[str, Any]) -> Any:
        """Create an execution and follow it to its terminal phase; its output."""
        request = execution_api.WorkflowExecution(
            api_version="stigmer.ai/v1", kind="WorkflowExecution"
        )
        request.metadata.name = f"bench-{uuid.uuid4().hex[:16]}"
        request.spec.workflow_id = workflow_id
        struct = struct_pb2.Struct()
        struct.update(workflow_input)
        request.spec.input.CopyFrom(struct)
        created = await self._commands.Create(request, timeout=30)
        last = created
        async with asyncio.timeout(RUN_TIMEOUT):
            async for update in self._queries.Subscribe(
                io_pb2.ApiResourceId(value=created.metadata.id)
            ):
                last = update
                if update.status.phase in TERMINAL:
                    break
        if last.status.phase != phase_pb2.COMPLETED:
            raise RuntimeError(f"execution {created.metadata.id} ended {last.status}")
        return from_struct(last.status.output)

    def runner(self, workflow_id: str, shape: Shape) -> Callable[[int], Awaitable[Any]]:
        """One platform run of ``shape`` per call (for :func:`closed_loop`)."""

        async def run(_index: int) -> Any:
            return await self.run(workflow_id, shape.input)

        return run


def bare_runner(client: Client, engine_queue: str, shape: Shape) -> Callable[[int], Awaitable[Any]]:
    """Start the engine workflow directly on ``engine_queue`` and wait for its result."""
    memo = RunSettings(lifecycle_events=False).memo()

    async def run(_index: int) -> Any:
        return await client.execute_workflow(
            WORKFLOW_TYPE,
            engine_input(definition=shape.definition, input=dict(shape.input)),
            id=f"bench-bare-{uuid.uuid4()}",
            task_queue=engine_queue,
            memo=memo,
        )

    return run


def _ratio(platform: float, bare: float) -> float | None:
    return round(platform / bare, 2) if bare else None


def _compare(platform: LoopFigures, bare: LoopFigures) -> dict[str, Any]:
    return {
        "platform": platform.as_dict(),
        "bare": bare.as_dict(),
        "ratio_p50": _ratio(platform.p50_ms, bare.p50_ms),
        "ratio_p99": _ratio(platform.p99_ms, bare.p99_ms),
        "ratio_throughput": _ratio(platform.throughput_per_s, bare.throughput_per_s),
    }


async def measure(
    stack_client: Client,
    server_address: str,
    engine_queue: str,
    http_uri: str,
    *,
    runs: int,
    concurrent_runs: int,
    concurrency: int = 10,
    set_steps: int = 100,
    warmup: int = 2,
) -> dict[str, Any]:
    """Both sides, both shapes, C=1 and C=``concurrency``; the report (see module doc)."""
    report: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "runs_c1": runs,
        "runs_cn": concurrent_runs,
        "concurrency": concurrency,
    }
    async with grpc.aio.insecure_channel(server_address) as channel:
        platform = PlatformSide(channel)
        for shape in shapes(http_uri, set_steps):
            workflow_id = await platform.apply(shape)
            outputs: dict[str, Any] = {}

            sides: dict[str, Callable[[int], Awaitable[Any]]] = {
                "bare": bare_runner(stack_client, engine_queue, shape),
                "platform": platform.runner(workflow_id, shape),
            }
            for side, run_one in sides.items():
                for index in range(warmup):
                    outputs[side] = await run_one(index)
            c1 = await interleaved(sides, runs=runs)
            cn = {
                side: await closed_loop(run_one, calls=concurrent_runs, concurrency=concurrency)
                for side, run_one in sides.items()
            }
            report[shape.name] = {
                "c1_latency": _compare(c1["platform"], c1["bare"]),
                f"c{concurrency}_throughput": _compare(cn["platform"], cn["bare"]),
                "same_output": outputs["platform"] == outputs["bare"],
                "output": outputs["bare"],
            }
    return report


def summary(report: dict[str, Any]) -> str:
    """One line per shape: the ratios platform / bare."""
    lines = []
    concurrency = report["concurrency"]
    for name, shape in report.items():
        if not isinstance(shape, dict):
            continue
        c1 = shape["c1_latency"]
        cn = shape[f"c{concurrency}_throughput"]
        lines.append(
            f"{name:8} C=1 p50 {c1['platform']['p50_ms']:.0f}/{c1['bare']['p50_ms']:.0f} ms "
            f"(x{c1['ratio_p50']}), p99 {c1['platform']['p99_ms']:.0f}/{c1['bare']['p99_ms']:.0f} ms "
            f"(x{c1['ratio_p99']}); C={concurrency} "
            f"{cn['platform']['throughput_per_s']:.2f}/{cn['bare']['throughput_per_s']:.2f} runs/s "
            f"(x{cn['ratio_throughput']}); same output: {shape['same_output']}"
        )
    return "platform/bare\n" + "\n".join(lines)


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    with local_http_server() as uri:
        async with platform_stack() as stack:
            return await measure_stack(stack, uri, args)


async def measure_stack(stack: Stack, uri: str, args: argparse.Namespace) -> dict[str, Any]:
    return await measure(
        stack.client,
        stack.server.address,
        stack.engine_queue,
        uri,
        runs=args.runs,
        concurrent_runs=args.concurrent_runs,
        concurrency=args.concurrency,
        set_steps=args.set_steps,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="C=1 runs per side (default 20)")
    parser.add_argument(
        "--concurrent-runs", type=int, default=60, help="runs per side at C=N (default 60)"
    )
    parser.add_argument("--concurrency", type=int, default=10, help="callers at C=N (default 10)")
    parser.add_argument("--set-steps", type=int, default=100, help="set tasks (default 100)")
    args = parser.parse_args(argv)
    if min(args.runs, args.concurrent_runs, args.concurrency, args.set_steps) < 1:
        parser.error("counts must be positive")
    report = asyncio.run(_run(args))
    print(json.dumps(report, indent=2))
    print(summary(report))
    return 0


if __name__ == "__main__":
    code = main()
    # Temporal's SDK can abort at interpreter finalization; leave without it.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
