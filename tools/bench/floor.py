"""The bare-Temporal floor vs the DSL engine vs the platform, in one run on one dev server.

Stigmer runs on Temporal, so a hand-written Temporal workflow of the same shape
on the same server is the floor. Four sides, each run for every shape:

* ``bare``: a plain workflow doing the shape's work (dict updates, or the
  engine's own HTTP activity called N times) on a worker in this process (its
  modules passed through the sandbox, as the engine's are: the floor at its best);
* ``engine``: the engine workflow (``ExecuteServerlessWorkflow``) started
  directly on the workflow-runner process's engine worker (its default
  sandbox), no execution id (no progress reports);
* ``token``: the platform's architecture written by hand, its floor: an outer
  workflow whose activity hands its task token to an inner workflow (doing the
  shape's work) and returns pending; the inner workflow completes the token
  with an activity, and the outer one returns the result;
* ``platform``: a ``WorkflowExecution`` Create on a stigmer-server process,
  then Subscribe until the terminal phase (orchestration workflow, runner,
  engine with progress reports and completion by token).

Shapes: ``set1``, ``set100`` (``set`` tasks; ``engine_vs_plain.py``'s
definitions), ``http1``, ``http5`` (``call: http`` GETs to a loopback server).
Loads: C=1 (sides alternating run by run: p50/p99) and C=10 (closed loop, in
``--rounds`` stretches per side, the sides taking turns: throughput, and CPU per
execution of every process read
from /proc: the dev server, stigmer-server, the runner, and this process, which
hosts the bare and token workers and all callers). Printed: the JSON report,
then per shape the ratios engine/bare and platform/token.

    PYTHONPATH=gen/python:backend/libs/python:backend/services/stigmer-server:\\
    backend/services/workflow-runner:backend/libs/python/stigmer_testing/..:tools/bench \\
        .venv/bin/python tools/bench/floor.py --runs 20 --concurrent-runs 60
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import sys
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import httpx
from closed_loop import LoopFigures, closed_loop, interleaved, merged
from engine_vs_plain import http_definition, set_definition
from floor_workflows import COMPLETE, HAND_OFF, FloorInnerWorkflow, FloorJob, FloorOuterWorkflow
from plain_workflows import PlainHttpWorkflow, PlainSetWorkflow
from platform_stack import Stack, local_http_server
from platform_stack import platform_stack as start_stack
from platform_vs_engine import PlatformSide, Shape, bare_runner
from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions
from workflow_runner.activities.io_activities import build_io_activities

_TICKS = os.sysconf("SC_CLK_TCK")


class FloorActivities:
    def __init__(self, client: Client, task_queue: str) -> None:
        self._client = client
        self._queue = task_queue

    @activity.defn(name=HAND_OFF)
    async def hand_off(self, job: FloorJob) -> Any:
        token = activity.info().task_token
        await self._client.start_workflow(
            FloorInnerWorkflow.run,
            FloorJob(job.kind, job.steps, job.uri, base64.b64encode(token).decode()),
            id=f"floor-inner-{uuid.uuid4()}",
            task_queue=self._queue,
        )
        activity.raise_complete_async()

    @activity.defn(name=COMPLETE)
    async def complete(self, token: str, result: Any) -> None:
        handle = self._client.get_async_activity_handle(task_token=base64.b64decode(token))
        await handle.complete(result)


@dataclass(frozen=True)
class FloorShape:
    shape: Shape
    job: FloorJob


def floor_shapes(uri: str) -> list[FloorShape]:
    return [
        FloorShape(Shape("set1", set_definition(1), {"sum": 0}), FloorJob("set", 1)),
        FloorShape(Shape("set100", set_definition(100), {"sum": 0}), FloorJob("set", 100)),
        FloorShape(Shape("http1", http_definition(1, uri), {}), FloorJob("http", 1, uri)),
        FloorShape(Shape("http5", http_definition(5, uri), {}), FloorJob("http", 5, uri)),
    ]


def _bare(client: Client, queue: str, job: FloorJob) -> Callable[[int], Awaitable[Any]]:
    async def run(_index: int) -> Any:
        wid = f"floor-bare-{uuid.uuid4()}"
        if job.kind == "set":
            return await client.execute_workflow(
                PlainSetWorkflow.run, job.steps, id=wid, task_queue=queue
            )
        return await client.execute_workflow(
            PlainHttpWorkflow.run, [job.steps, job.uri], id=wid, task_queue=queue
        )

    return run


def _token(client: Client, queue: str, job: FloorJob) -> Callable[[int], Awaitable[Any]]:
    async def run(_index: int) -> Any:
        return await client.execute_workflow(
            FloorOuterWorkflow.run, job, id=f"floor-outer-{uuid.uuid4()}", task_queue=queue
        )

    return run


# -- per-process CPU ------------------------------------------------------------------------------
def _cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` (its threads included), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _children_named(name: str) -> list[int]:
    found = []
    me = str(os.getpid())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        ppid = stat.rsplit(")", 1)[1].split()[1]
        if ppid == me and comm == name:
            found.append(int(entry.name))
    return found


def processes(stack: Stack) -> dict[str, int]:
    """The processes whose CPU is counted, by role."""
    assert stack.runner is not None
    roles = {
        "stigmer_server": stack.server.process.pid,
        "runner": stack.runner.process.pid,
        "driver": os.getpid(),
    }
    temporal = _children_named("temporal")
    if temporal:
        roles["temporal"] = temporal[0]
    return roles


def _snapshot(pids: dict[str, int]) -> dict[str, float]:
    return {role: _cpu_seconds(pid) for role, pid in pids.items()}


async def _rounds_with_cpu(
    sides: dict[str, Callable[[int], Awaitable[Any]]],
    pids: dict[str, int],
    *,
    runs: int,
    rounds: int,
    concurrency: int,
) -> dict[str, Any]:
    """Each side's closed loop in ``rounds`` stretches, the sides taking turns.

    A shared machine's load drifts over minutes; alternating stretches (the
    order reversed every other round) spread the drift over every side, so
    the ratios compare like with like. Figures merge the stretches.
    """
    parts: dict[str, list[LoopFigures]] = {side: [] for side in sides}
    cpu: dict[str, dict[str, float]] = {side: dict.fromkeys(pids, 0.0) for side in sides}
    per_round = max(concurrency, runs // rounds)
    for index in range(rounds):
        order = list(sides) if index % 2 == 0 else list(reversed(sides))
        for side in order:
            before = _snapshot(pids)
            parts[side].append(
                await closed_loop(sides[side], calls=per_round, concurrency=concurrency)
            )
            after = _snapshot(pids)
            for role in pids:
                cpu[side][role] += after[role] - before[role]
    result: dict[str, Any] = {}
    for side, figures in parts.items():
        total = merged(figures)
        per_run = {role: seconds * 1000 / total.runs for role, seconds in cpu[side].items()}
        per_run["total"] = sum(per_run.values())
        result[side] = {
            **total.as_dict(),
            "cpu_ms_per_run": {role: round(ms, 1) for role, ms in per_run.items()},
        }
    return result


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 2) if denominator else None


async def measure(stack: Stack, uri: str, args: argparse.Namespace) -> dict[str, Any]:
    pids = processes(stack)
    client = stack.client
    queue = f"floor-{uuid.uuid4().hex[:8]}"
    report: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "runs_c1": args.runs,
        "runs_cn": args.concurrent_runs,
        "concurrency": args.concurrency,
        "shapes": {},
    }
    async with (
        httpx.AsyncClient() as http,
        grpc.aio.insecure_channel(stack.server.address) as channel,
    ):
        floor_activities = FloorActivities(client, queue)
        worker = Worker(
            client,
            task_queue=queue,
            workflows=[PlainSetWorkflow, PlainHttpWorkflow, FloorOuterWorkflow, FloorInnerWorkflow],
            activities=[
                *build_io_activities(http),
                floor_activities.hand_off,
                floor_activities.complete,
            ],
            # The floor at its best: its modules imported once, not once per run.
            workflow_runner=SandboxedWorkflowRunner(
                restrictions=SandboxRestrictions.default.with_passthrough_modules(
                    "plain_workflows", "floor_workflows", "workflow_runner", "stigmer_dsl"
                )
            ),
        )
        platform = PlatformSide(channel)
        async with worker:
            for item in floor_shapes(uri):
                if args.shapes and item.shape.name not in args.shapes:
                    continue
                workflow_id = await platform.apply(item.shape)
                sides: dict[str, Callable[[int], Awaitable[Any]]] = {
                    "bare": _bare(client, queue, item.job),
                    "engine": bare_runner(client, stack.engine_queue, item.shape),
                    "token": _token(client, queue, item.job),
                    "platform": platform.runner(workflow_id, item.shape),
                }
                outputs = {}
                for side, run_one in sides.items():
                    for index in range(2):  # warm-up, not counted
                        outputs[side] = await run_one(index)
                c1 = await interleaved(sides, runs=args.runs)
                cn = await _rounds_with_cpu(
                    sides,
                    pids,
                    runs=args.concurrent_runs,
                    rounds=args.rounds,
                    concurrency=args.concurrency,
                )
                report["shapes"][item.shape.name] = {
                    "c1": {side: figures.as_dict() for side, figures in c1.items()},
                    f"c{args.concurrency}": cn,
                    "outputs_agree": len({json.dumps(v, sort_keys=True) for v in outputs.values()})
                    == 1,
                    "ratios": _ratios(c1, cn),
                }
    return report


def _ratios(c1: dict[str, LoopFigures], cn: dict[str, Any]) -> dict[str, Any]:
    def pair(side: str, floor: str) -> dict[str, Any]:
        return {
            "c1_p50": _ratio(c1[side].p50_ms, c1[floor].p50_ms),
            "c1_p99": _ratio(c1[side].p99_ms, c1[floor].p99_ms),
            "cn_throughput": _ratio(cn[side]["throughput_per_s"], cn[floor]["throughput_per_s"]),
            "cn_cpu_per_run": _ratio(
                cn[side]["cpu_ms_per_run"]["total"], cn[floor]["cpu_ms_per_run"]["total"]
            ),
        }

    return {"engine/bare": pair("engine", "bare"), "platform/token": pair("platform", "token")}


def summary(report: dict[str, Any]) -> str:
    concurrency = report["concurrency"]
    lines = [f"shape    pair            C=1 p50  C=1 p99  C={concurrency:<2} thrpt  CPU/run"]
    for name, shape in report["shapes"].items():
        cn = shape[f"c{concurrency}"]
        for pair, ratios in shape["ratios"].items():
            side, floor = pair.split("/")
            lines.append(
                f"{name:8} {pair:15} x{ratios['c1_p50']:<7} x{ratios['c1_p99']:<7} "
                f"x{ratios['cn_throughput']:<10} x{ratios['cn_cpu_per_run']}   "
                f"({cn[side]['throughput_per_s']:.1f} vs {cn[floor]['throughput_per_s']:.1f} wf/s; "
                f"{cn[side]['cpu_ms_per_run']['total']:.0f} vs "
                f"{cn[floor]['cpu_ms_per_run']['total']:.0f} ms CPU; "
                f"p50 {shape['c1'][side]['p50_ms']:.0f} vs {shape['c1'][floor]['p50_ms']:.0f} ms)"
            )
        if not shape["outputs_agree"]:
            lines.append(f"{name:8} OUTPUTS DIFFER")
    return "\n".join(lines)


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    with local_http_server() as uri:
        async with start_stack() as stack:
            return await measure(stack, uri, args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="C=1 runs per side (default 20)")
    parser.add_argument(
        "--concurrent-runs", type=int, default=60, help="runs per side at C=N (default 60)"
    )
    parser.add_argument("--concurrency", type=int, default=10, help="callers at C=N (default 10)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=4,
        help="C=N stretches per side, the sides taking turns (default 4)",
    )
    parser.add_argument(
        "--shapes", nargs="*", default=[], help="only these (set1 set100 http1 http5)"
    )
    args = parser.parse_args(argv)
    if min(args.runs, args.concurrent_runs, args.concurrency, args.rounds) < 1:
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
