"""Native evaluation of simple jq programs vs libjq, in one run.

Two measurements, each side alternating with the other so the figures are
ratios from the same run:

* ``evaluate_measured`` per call, outside Temporal's sandbox, for a few
  programs (``.sum + 5`` on ``{"step": 1, "sum": 3}`` first): the program as
  compiled (native evaluator) vs the same program with it removed (jq only);
* the engine alone on N ``set`` tasks (``engine_vs_plain.set_definition``) on
  a local dev server, fully sandboxed as in the engine's tests or with
  ``--pass-through`` as production workers run it: median wall time and the
  process's CPU per run, with native evaluation on and off. "Off" runs the
  same definition with one more space in every expression (a distinct
  program text, so a distinct cache entry) and no native evaluator for
  programs holding two spaces. Both sides must agree on output and history
  length (pacing is charged the same).

``bazel run //tools/bench:native_expressions -- --steps 100 --repeats 5``, or
from the virtualenv with the pyproject import roots on PYTHONPATH. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import statistics
import sys
import time
import timeit
import uuid
from typing import Any

from engine_vs_plain import set_definition
from stigmer_common.temporal_dev_server import start_dev_server
from stigmer_dsl.expressions import jq_language, native
from stigmer_dsl.expressions.jq_language import CompiledExpression, compile_expression
from temporalio.client import Client
from workflow_runner.engine.inputs import engine_input
from workflow_runner.engine.worker import build_worker
from workflow_runner.engine.workflow import ExecuteServerlessWorkflow

PROGRAMS = [
    (".sum + 5", {"step": 1, "sum": 3}),
    (".a.b", {"a": {"b": "x"}}),
    ('.status == "done"', {"status": "done", "count": 4}),
    (".count > 3", {"status": "done", "count": 4}),
]


def _micro_seconds(compiled: CompiledExpression, data: Any, calls: int) -> float:
    def call() -> None:
        compiled.evaluate_measured(data, {}, now=lambda: 0.0)

    return min(timeit.repeat(call, number=calls, repeat=5)) / calls * 1e6


def evaluate_measured_report(calls: int) -> list[dict[str, Any]]:
    """µs per ``evaluate_measured`` call, native vs jq only, per program."""
    rows = []
    for source, data in PROGRAMS:
        compiled = compile_expression(source, ["input"])
        assert compiled._native is not None, source
        jq_only = copy.copy(compiled)
        jq_only._native = None
        assert compiled.evaluate_measured(data, {}, now=0.0) == jq_only.evaluate_measured(
            data, {}, now=0.0
        )
        jq_us = _micro_seconds(jq_only, data, calls)
        native_us = _micro_seconds(compiled, data, calls)
        rows.append(
            {
                "program": source,
                "jq_us": round(jq_us, 2),
                "native_us": round(native_us, 2),
                "ratio": round(native_us / jq_us, 2),
            }
        )
    return rows


def _jq_only_for_double_spaces() -> None:
    def selective(source: str) -> Any:
        return None if "  " in source else native.compile_native(source)

    # What CompiledExpression calls (jq_language's import of it).
    jq_language.compile_native = selective  # type: ignore[attr-defined]


async def engine_report(
    client: Client, steps: int, repeats: int, *, pass_through: bool
) -> dict[str, Any]:
    """The engine on ``steps`` set tasks, native on vs off, runs alternating."""
    definitions = {
        "native": set_definition(steps),
        "jq": set_definition(steps).replace(" + ", " +  "),
    }
    queue = f"bench-{uuid.uuid4()}"
    wall: dict[str, list[float]] = {name: [] for name in definitions}
    cpu: dict[str, list[float]] = {name: [] for name in definitions}
    outputs: dict[str, Any] = {}
    events: dict[str, int] = {}
    async with build_worker(client, task_queue=queue, pass_through_engine=pass_through):
        for run in range(repeats + 1):  # the first round warms caches and is not counted
            for name, definition in definitions.items():
                workflow_id = f"bench-{uuid.uuid4()}"
                began, began_cpu = time.perf_counter(), time.process_time()
                outputs[name] = await client.execute_workflow(
                    ExecuteServerlessWorkflow.run,
                    engine_input(definition, {"sum": 0}),
                    id=workflow_id,
                    task_queue=queue,
                )
                if run:
                    wall[name].append(time.perf_counter() - began)
                    cpu[name].append(time.process_time() - began_cpu)
                history = await client.get_workflow_handle(workflow_id).fetch_history()
                events[name] = len(history.events)
    medians = {
        name: {
            "wall_ms": round(statistics.median(wall[name]) * 1e3, 1),
            "cpu_ms": round(statistics.median(cpu[name]) * 1e3, 1),
        }
        for name in definitions
    }
    return {
        "steps": steps,
        "repeats": repeats,
        "pass_through_engine": pass_through,
        **medians,
        "wall_ratio": round(medians["native"]["wall_ms"] / medians["jq"]["wall_ms"], 2),
        "cpu_ratio": round(medians["native"]["cpu_ms"] / medians["jq"]["cpu_ms"], 2),
        "same_output": outputs["native"] == outputs["jq"],
        "history_events": events,
    }


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    report: dict[str, Any] = {"evaluate_measured": evaluate_measured_report(args.calls)}
    if args.steps:
        _jq_only_for_double_spaces()
        env = await start_dev_server()
        try:
            report["engine"] = [
                await engine_report(env.client, args.steps, args.repeats, pass_through=through)
                for through in (False, True)
            ]
        finally:
            await env.shutdown()
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20_000, help="calls per timing (20,000)")
    parser.add_argument("--steps", type=int, default=100, help="set tasks; 0 skips the engine")
    parser.add_argument("--repeats", type=int, default=5, help="measured runs per side (5)")
    print(json.dumps(asyncio.run(_run(parser.parse_args())), indent=2))
    return 0


if __name__ == "__main__":
    code = main()
    # Temporal's SDK can abort at interpreter finalization; leave without it.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
