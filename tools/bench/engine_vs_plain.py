"""Benchmark: the DSL engine vs a plain hand-written Temporal workflow, in one run.

Two scenarios of ``--steps`` tasks each, on one local dev server and one worker:

* ``set``: N ``set`` tasks (pure data steps) vs a workflow computing the same;
* ``http``: N ``call: http`` tasks to a local HTTP server vs a workflow calling
  the same HTTP activity N times.

Each is run ``--repeats`` times, alternating engine and plain; the median wall
time of each and their ratio are printed, with history events (total and per
task). Not a test: numbers depend on the machine.

Run (from the repository root)::

    bazel run //tools/bench:engine_vs_plain -- --steps 50
    PYTHONPATH=backend/services/workflow-runner:backend/libs/python \\
        .venv/bin/python tools/bench/engine_vs_plain.py --steps 50
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from plain_workflows import PlainHttpWorkflow, PlainInput, PlainSetWorkflow
from stigmer_common.temporal_dev_server import start_dev_server
from workflow_runner.activities.io_activities import build_io_activities
from workflow_runner.engine.names import WORKFLOW_TYPE
from workflow_runner.engine.worker import build_worker
from workflow_runner.engine.workflow import EngineInput, ExecuteServerlessWorkflow


class _JsonHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Small header and body writes would otherwise meet Nagle + delayed ACK (~40 ms).
    disable_nagle_algorithm = True
    wbufsize = -1

    def do_GET(self) -> None:
        body = json.dumps({"ok": True, "path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


def set_definition(steps: int) -> str:
    tasks = "".join(
        f"  - step{i}:\n      set:\n        acc: ${{ .acc + 1 }}\n        step: {i}\n"
        for i in range(steps)
    )
    return "document: {dsl: '1.0.3', namespace: bench, name: sets, version: '1.0.0'}\ndo:\n" + tasks


def http_definition(steps: int, url: str) -> str:
    tasks = "".join(
        f"  - call{i}:\n      call: http\n      with:\n        method: get\n"
        f"        endpoint: {url}\n        query:\n          step: {i}\n"
        for i in range(steps)
    )
    return (
        "document: {dsl: '1.0.3', namespace: bench, name: calls, version: '1.0.0'}\ndo:\n" + tasks
    )


async def _timed(start: Callable[..., Awaitable[Any]]) -> tuple[float, int, Any]:
    """Wall time (s), history event count and result of one workflow run."""
    began = time.perf_counter()
    handle = await start(id=f"bench-{uuid.uuid4()}")
    result = await handle.result()
    elapsed = time.perf_counter() - began
    history = await handle.fetch_history()
    return elapsed, len(history.events), result


async def bench(steps: int, repeats: int) -> list[dict[str, Any]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _JsonHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/bench"
    env = await start_dev_server()
    queue = f"bench-{uuid.uuid4()}"
    rows: list[dict[str, Any]] = []
    try:
        async with (
            httpx.AsyncClient() as http_client,
            build_worker(
                env.client,
                task_queue=queue,
                workflows=(ExecuteServerlessWorkflow, PlainSetWorkflow, PlainHttpWorkflow),
                activities=build_io_activities(http_client),
            ),
        ):
            scenarios: list[tuple[str, str, Any]] = [
                ("set", set_definition(steps), PlainSetWorkflow.run),
                ("http", http_definition(steps, url), PlainHttpWorkflow.run),
            ]
            for name, definition, plain_run in scenarios:
                engine_times: list[float] = []
                plain_times: list[float] = []
                engine_events = plain_events = 0
                # One unmeasured round first: worker start-up and sandbox imports.
                for round_index in range(repeats + 1):
                    e_time, engine_events, e_result = await _timed(
                        functools.partial(
                            env.client.start_workflow,
                            WORKFLOW_TYPE,
                            EngineInput(definition=definition, input={"acc": 0}),
                            task_queue=queue,
                        ),
                    )
                    p_time, plain_events, p_result = await _timed(
                        functools.partial(
                            env.client.start_workflow,
                            plain_run,
                            PlainInput(steps=steps, url=url),
                            task_queue=queue,
                        ),
                    )
                    if name == "set":
                        assert e_result == p_result == {"acc": steps, "step": steps - 1}
                    else:
                        assert e_result == p_result, (e_result, p_result)
                    if round_index:
                        engine_times.append(e_time)
                        plain_times.append(p_time)
                engine_median = statistics.median(engine_times)
                plain_median = statistics.median(plain_times)
                rows.append(
                    {
                        "scenario": name,
                        "steps": steps,
                        "engine_ms": round(engine_median * 1000, 1),
                        "plain_ms": round(plain_median * 1000, 1),
                        "ratio": round(engine_median / plain_median, 2),
                        "engine_events": engine_events,
                        "plain_events": plain_events,
                        "engine_events_per_task": round(engine_events / steps, 2),
                        "plain_events_per_task": round(plain_events / steps, 2),
                    }
                )
    finally:
        await env.shutdown()
        server.shutdown()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=50, help="tasks per workflow (default 50)")
    parser.add_argument("--repeats", type=int, default=3, help="measured runs (default 3)")
    parser.add_argument("--json", action="store_true", help="print JSON rows instead of a table")
    args = parser.parse_args()
    rows = asyncio.run(bench(args.steps, args.repeats))
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        header = (
            f"{'scenario':<8} {'steps':>5} {'engine ms':>10} {'plain ms':>9} {'ratio':>6} "
            f"{'events e/p':>11} {'events/task e/p':>16}"
        )
        print(header)
        for r in rows:
            print(
                f"{r['scenario']:<8} {r['steps']:>5} {r['engine_ms']:>10} {r['plain_ms']:>9} "
                f"{r['ratio']:>6} {r['engine_events']:>5}/{r['plain_events']:<5} "
                f"{r['engine_events_per_task']:>8}/{r['plain_events_per_task']:<7}"
            )
    return 0


if __name__ == "__main__":
    code = main()
    # Temporal's SDK can abort at interpreter finalization; leave without it.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
