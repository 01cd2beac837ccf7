"""``ENABLE_ASYNC_ACTIVITY_COMPLETION`` on vs off: throughput and runner slots held (issue 12).

One dev server and one stigmer-server process; the workflow-runner process is
restarted on the same queues for each stretch of runs, with the switch on (the
default: ``ExecuteWorkflow`` hands its task token to the engine and returns
pending) or off (the activity waits for the engine's result, heartbeating), in
``--rounds`` rounds ordered on-off, off-on, ... so a shared machine's drifting
load hits both modes alike. In each stretch ``--concurrency`` closed-loop
callers Create executions of a workflow that waits (``wait`` of
``--wait-seconds``, then a ``set``) and Subscribe until the terminal phase.

Slots held: the runner is started with the Temporal SDK's Prometheus exporter
(see ``platform_stack``), and a sampler reads the gauge
``temporal_worker_task_slots_used{worker_type="ActivityWorker",task_queue=<runner
queue>}`` every ``--sample-ms`` while the callers run: the number of activity
slots in use on the runner queue (where ``ExecuteWorkflow`` runs), as the SDK
counts them. Reported: max, time average (mean of the samples) and
slot-seconds (average x wall time), with the slot capacity from
``temporal_worker_task_slots_available`` + used. The engine queue's activity
slots are reported too for context (the completion by token in async mode;
progress reports are local activities, not counted there).

``bazel run //tools/bench:async_completion -- --runs 40``, or from the virtualenv
with the pyproject import roots on PYTHONPATH (see ``platform_vs_engine.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
from dataclasses import dataclass
from typing import Any

import grpc
from closed_loop import LoopFigures, closed_loop, merged
from platform_stack import Stack, platform_stack, read_gauge
from platform_vs_engine import PlatformSide, Shape

SLOTS_USED = "temporal_worker_task_slots_used"
SLOTS_AVAILABLE = "temporal_worker_task_slots_available"


def waiting_definition(seconds: float) -> str:
    return (
        "document: {dsl: '1.0.3', namespace: bench, name: waits, version: '1.0.0'}\n"
        "do:\n"
        f"  - pause:\n      wait: {{milliseconds: {round(seconds * 1000)}}}\n"
        "  - done:\n      set: {waited: true}\n"
    )


class SlotSampler:
    """Samples the runner's activity slots in use on two queues until stopped."""

    def __init__(self, metrics_url: str, queues: dict[str, str], every: float) -> None:
        self._url = metrics_url
        self._queues = queues
        self._every = every
        self.samples: dict[str, list[float]] = {name: [] for name in queues}
        self.capacity: dict[str, float] = {}
        self._stop = asyncio.Event()

    def _read(self) -> dict[str, tuple[float | None, float | None]]:
        return {
            name: (
                read_gauge(
                    self._url, SLOTS_USED, {"worker_type": "ActivityWorker", "task_queue": queue}
                ),
                read_gauge(
                    self._url,
                    SLOTS_AVAILABLE,
                    {"worker_type": "ActivityWorker", "task_queue": queue},
                ),
            )
            for name, queue in self._queues.items()
        }

    async def run(self) -> None:
        while not self._stop.is_set():
            for name, (used, available) in (await asyncio.to_thread(self._read)).items():
                if used is None:
                    raise RuntimeError(f"the runner exports no {SLOTS_USED} for {name}")
                self.samples[name].append(used)
                if available is not None:
                    self.capacity[name] = used + available
            try:
                await asyncio.wait_for(self._stop.wait(), self._every)
            except TimeoutError:
                pass

    def stop(self) -> None:
        self._stop.set()


@dataclass
class ModeRun:
    """One measured stretch of one mode: the loop's figures and the slot samples."""

    figures: LoopFigures
    samples: dict[str, list[float]]
    capacity: dict[str, float]
    output: Any


def slot_figures(runs: list[ModeRun]) -> dict[str, Any]:
    """Max, mean of the samples and slot-seconds (mean x wall) per queue, over ``runs``."""
    wall = sum(run.figures.wall_s for run in runs)
    out: dict[str, Any] = {}
    for name in runs[0].samples:
        samples = [value for run in runs for value in run.samples[name]]
        mean = statistics.fmean(samples) if samples else 0.0
        out[name] = {
            "max": max(samples, default=0.0),
            "mean": round(mean, 2),
            "slot_seconds": round(mean * wall, 1),
            "capacity": runs[0].capacity.get(name),
            "samples": len(samples),
        }
    return out


async def measure_mode(
    stack: Stack,
    platform: PlatformSide,
    workflow_id: str,
    shape: Shape,
    *,
    runs: int,
    concurrency: int,
    sample_every: float,
) -> ModeRun:
    """Warm up, then the closed loop with the sampler running."""
    assert stack.runner is not None
    for _ in range(2):
        output = await platform.run(workflow_id, shape.input)
    sampler = SlotSampler(
        stack.runner.metrics_url,
        {"runner_queue": stack.runner_queue, "engine_queue": stack.engine_queue},
        sample_every,
    )
    sampling = asyncio.create_task(sampler.run())
    try:
        figures = await closed_loop(
            platform.runner(workflow_id, shape), calls=runs, concurrency=concurrency
        )
    finally:
        sampler.stop()
        await sampling
    return ModeRun(figures, sampler.samples, sampler.capacity, output)


MODES = {"async_on": "true", "async_off": "false"}


async def measure(
    stack: Stack,
    *,
    runs: int,
    concurrency: int,
    wait_seconds: float,
    sample_every: float,
    rounds: int = 2,
) -> dict[str, Any]:
    """Both modes in ``rounds`` rounds, order on-off then off-on (ABBA), one server.

    The runner is restarted with the mode's setting before each stretch; each
    stretch has ``runs // rounds`` runs.
    """
    shape = Shape("waits", waiting_definition(wait_seconds), {})
    report: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "runs": runs,
        "rounds": rounds,
        "concurrency": concurrency,
        "wait_seconds": wait_seconds,
    }
    stretches: dict[str, list[ModeRun]] = {mode: [] for mode in MODES}
    async with grpc.aio.insecure_channel(stack.server.address) as channel:
        platform = PlatformSide(channel)
        workflow_id = await platform.apply(shape)
        for round_index in range(rounds):
            order = list(MODES) if round_index % 2 == 0 else list(reversed(MODES))
            for mode in order:
                stack.stop_runner()
                await asyncio.to_thread(
                    stack.start_runner, {"ENABLE_ASYNC_ACTIVITY_COMPLETION": MODES[mode]}
                )
                stretches[mode].append(
                    await measure_mode(
                        stack,
                        platform,
                        workflow_id,
                        shape,
                        runs=max(1, runs // rounds),
                        concurrency=concurrency,
                        sample_every=sample_every,
                    )
                )
    for mode, measured in stretches.items():
        report[mode] = {
            **merged([run.figures for run in measured]).as_dict(),
            "throughput_per_round": [round(run.figures.throughput_per_s, 2) for run in measured],
            "activity_slots_used": slot_figures(measured),
            "output": measured[-1].output,
        }
    on, off = report["async_on"], report["async_off"]
    report["ratio_throughput_on_off"] = round(on["throughput_per_s"] / off["throughput_per_s"], 2)
    return report


def summary(report: dict[str, Any]) -> str:
    lines = [
        f"C={report['concurrency']}, wait {report['wait_seconds']} s, {report['runs']} runs "
        f"per mode in {report['rounds']} rounds"
    ]
    for mode in ("async_on", "async_off"):
        figures = report[mode]
        slots = figures["activity_slots_used"]["runner_queue"]
        lines.append(
            f"{mode:9} {figures['throughput_per_s']:.2f} runs/s, p50 {figures['p50_ms']:.0f} ms, "
            f"p99 {figures['p99_ms']:.0f} ms; runner-queue activity slots used: "
            f"max {slots['max']:.0f}, mean {slots['mean']:.2f} of {slots['capacity']}, "
            f"{slots['slot_seconds']} slot-s"
        )
    lines.append(f"throughput on/off x{report['ratio_throughput_on_off']}")
    return "\n".join(lines)


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    async with platform_stack(start_runner=False) as stack:
        return await measure(
            stack,
            runs=args.runs,
            concurrency=args.concurrency,
            wait_seconds=args.wait_seconds,
            sample_every=args.sample_ms / 1000,
            rounds=args.rounds,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=40, help="runs per mode (default 40)")
    parser.add_argument("--concurrency", type=int, default=10, help="callers (default 10)")
    parser.add_argument(
        "--wait-seconds", type=float, default=2.0, help="the workflow's wait (default 2)"
    )
    parser.add_argument(
        "--sample-ms", type=int, default=100, help="slot sampling period (default 100)"
    )
    parser.add_argument(
        "--rounds", type=int, default=2, help="stretches per mode, ABBA order (default 2)"
    )
    args = parser.parse_args(argv)
    if min(args.runs, args.concurrency, args.sample_ms, args.rounds) < 1 or args.wait_seconds <= 0:
        parser.error("counts and the wait must be positive")
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
