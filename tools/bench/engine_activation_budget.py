"""CPU per workflow activation of the DSL engine on large data-only workflows.

The engine yields to Temporal once an activation has spent its budget of
counted work (``stigmer_dsl.pacing``); this measures what that
budget costs in CPU here. Each workflow activation is timed with the worker
thread's CPU clock (a wrapping workflow runner), on a local dev server:

* ``seq``: N sequential ``set`` tasks, each with its own expression (YAML);
* ``loop``: a ``for`` over N items whose body is one ``set``;
* ``bigdata``: a ``for`` over N items carrying a 2,000-element array along.

Prints one JSON line per shape: activations, CPU per activation (median,
p90, max, ms), wall time, history events, and whether the history replays.
``bazel run //tools/bench:engine_activation_budget -- --shapes seq:5000 loop:100000``,
or from the virtualenv with the pyproject import roots on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

from stigmer_common.temporal_dev_server import start_dev_server
from temporalio.client import Client, WorkflowHistory
from temporalio.worker import (
    Replayer,
    Worker,
    WorkflowInstance,
    WorkflowInstanceDetails,
    WorkflowRunner,
)
from workflow_runner.engine.inputs import engine_input
from workflow_runner.engine.worker import sandbox_runner
from workflow_runner.engine.workflow import ExecuteServerlessWorkflow

HEADER = "document: {dsl: '1.0.3', namespace: bench, name: budget, version: '1.0.0'}\n"


class _TimedInstance(WorkflowInstance):
    def __init__(self, inner: WorkflowInstance, samples: list[float]) -> None:
        self._inner = inner
        self._samples = samples

    def activate(self, act: Any) -> Any:
        start = time.thread_time()
        try:
            return self._inner.activate(act)
        finally:
            self._samples.append(time.thread_time() - start)

    def get_info(self) -> Any:
        return self._inner.get_info()

    def get_thread_id(self) -> int | None:
        return self._inner.get_thread_id()

    def get_serialization_context(self, *args: Any, **kwargs: Any) -> Any:
        return self._inner.get_serialization_context(*args, **kwargs)

    def get_external_store_context(self, *args: Any, **kwargs: Any) -> Any:
        return self._inner.get_external_store_context(*args, **kwargs)


class TimedRunner(WorkflowRunner):
    """Delegates to the engine's sandboxed runner; records CPU seconds per activation."""

    def __init__(self) -> None:
        self._inner = sandbox_runner()
        self.samples: list[float] = []
        self._lock = threading.Lock()

    def prepare_workflow(self, defn: Any) -> None:
        self._inner.prepare_workflow(defn)

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return _TimedInstance(self._inner.create_instance(det), self.samples)

    def set_worker_level_failure_exception_types(
        self, types: Sequence[type[BaseException]]
    ) -> None:
        self._inner.set_worker_level_failure_exception_types(types)


def shape(name: str, size: int) -> tuple[str, Any]:
    if name == "seq":
        tasks = "".join(
            f"  - t{i}:\n      set: {{sum: '${{ .sum + {i} }}'}}\n" for i in range(size)
        )
        return HEADER + "do:\n" + tasks, {"sum": 0}
    if name == "loop":
        body = (
            f"do:\n  - loop:\n      for: {{in: '${{ [range({size})] }}', each: n}}\n"
            "      do:\n        - add: {set: {sum: '${ .sum + $n }'}}\n"
        )
        return HEADER + body, {"sum": 0}
    if name == "bigdata":
        body = (
            f"do:\n  - loop:\n      for: {{in: '${{ [range({size})] }}', each: n}}\n"
            "      do:\n        - add: {set: {sum: '${ .sum + $n }', rows: '${ .rows }'}}\n"
        )
        return HEADER + body, {"sum": 0, "rows": list(range(2000))}
    raise SystemExit(f"unknown shape {name!r} (seq, loop, bigdata)")


async def _histories(client: Client, workflow_id: str) -> list[WorkflowHistory]:
    runs = [e async for e in client.list_workflows(f"WorkflowId = '{workflow_id}'")]
    runs.sort(key=lambda e: e.start_time)
    return [
        await client.get_workflow_handle(workflow_id, run_id=e.run_id).fetch_history() for e in runs
    ]


async def _each(histories: list[WorkflowHistory]) -> AsyncIterator[WorkflowHistory]:
    for history in histories:
        yield history


async def measure(client: Client, name: str, size: int, *, replay: bool) -> dict[str, Any]:
    definition, workflow_input = shape(name, size)
    runner = TimedRunner()
    queue = f"budget-{uuid.uuid4()}"
    async with Worker(
        client, task_queue=queue, workflows=[ExecuteServerlessWorkflow], workflow_runner=runner
    ):
        started = time.monotonic()
        await client.execute_workflow(
            ExecuteServerlessWorkflow.run,
            engine_input(definition, workflow_input),
            id=queue,
            task_queue=queue,
        )
        wall = time.monotonic() - started
    histories = await _histories(client, queue)
    cpu = sorted(runner.samples)
    report: dict[str, Any] = {
        "shape": f"{name}:{size}",
        "wall_s": round(wall, 1),
        "activations": len(cpu),
        "cpu_ms_median": round(statistics.median(cpu) * 1000, 1),
        "cpu_ms_p90": round(cpu[int(len(cpu) * 0.9)] * 1000, 1),
        "cpu_ms_max": round(cpu[-1] * 1000, 1),
        "cpu_s_total": round(sum(cpu), 1),
        "runs": len(histories),
        "events": [len(h.events) for h in histories],
    }
    if replay:
        replayer = Replayer(workflows=[ExecuteServerlessWorkflow], workflow_runner=sandbox_runner())
        started = time.monotonic()
        results = await replayer.replay_workflows(_each(histories), raise_on_replay_failure=False)
        report["replay_s"] = round(time.monotonic() - started, 1)
        report["replay_failures"] = len(results.replay_failures)
    return report


async def main(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", nargs="+", default=["seq:5000", "loop:100000"])
    parser.add_argument("--no-replay", action="store_true")
    args = parser.parse_args(argv)
    env = await start_dev_server()
    try:
        for item in args.shapes:
            name, _, size = item.partition(":")
            report = await measure(env.client, name, int(size), replay=not args.no_replay)
            print(json.dumps(report), flush=True)
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
