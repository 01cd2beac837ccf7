"""The DSL engine vs a plain hand-written Temporal workflow: time and history per task.

Two shapes, each with N steps, run in the same process against the same dev
server and a local HTTP server, so the figures are ratios from one run:

* ``set``: N ``set`` tasks vs a plain workflow doing N dict updates;
* ``http``: N ``call: http`` tasks vs a plain workflow calling the same HTTP
  activity N times.

``bazel run //tools/bench:engine_vs_plain -- --steps 50 --repeats 3``, or from the
virtualenv with the pyproject import roots on PYTHONPATH. Not a test: the
smoke test in workflow-runner only checks both sides agree.
"""

from __future__ import annotations

import argparse
import asyncio
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
from plain_workflows import PlainHttpWorkflow, PlainSetWorkflow
from stigmer_common.temporal_dev_server import start_dev_server
from temporalio.client import Client
from workflow_runner.activities.io_activities import build_io_activities
from workflow_runner.engine.inputs import engine_input
from workflow_runner.engine.worker import build_worker
from workflow_runner.engine.workflow import ExecuteServerlessWorkflow


class JsonHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Small header and body writes would otherwise meet Nagle + delayed ACK (~40 ms).
    disable_nagle_algorithm = True
    wbufsize = -1

    def do_GET(self) -> None:
        body = json.dumps({"id": 1, "path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


HEADER = "document: {dsl: '1.0.3', namespace: bench, name: bench, version: '1.0.0'}\ndo:\n"


def set_definition(steps: int) -> str:
    tasks = "".join(
        f"  - step{i}:\n      set: {{step: {i}, sum: '${{ .sum + {i} }}'}}\n" for i in range(steps)
    )
    return HEADER + tasks


def http_definition(steps: int, uri: str) -> str:
    tasks = "".join(
        f"  - get{i}:\n      call: http\n      with: {{method: get, endpoint: '{uri}'}}\n"
        for i in range(steps)
    )
    return HEADER + tasks + "output:\n  as: .id\n"


async def _timed(
    client: Client, start: Callable[[str], Awaitable[Any]], repeats: int
) -> tuple[float, Any, int]:
    """Median seconds, last output, history events of the last run."""
    durations: list[float] = []
    output: Any = None
    workflow_id = ""
    for _ in range(repeats):
        workflow_id = f"bench-{uuid.uuid4()}"
        began = time.perf_counter()
        output = await start(workflow_id)
        durations.append(time.perf_counter() - began)
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return statistics.median(durations), output, len(history.events)


async def measure(client: Client, uri: str, steps: int, repeats: int) -> dict[str, Any]:
    """Run both shapes through the engine and the plain workflows; return the report."""
    queue = f"bench-{uuid.uuid4()}"
    report: dict[str, Any] = {"steps": steps, "repeats": repeats}
    async with httpx.AsyncClient() as http:
        worker = build_worker(
            client,
            task_queue=queue,
            workflows=[ExecuteServerlessWorkflow, PlainSetWorkflow, PlainHttpWorkflow],
            activities=build_io_activities(http),
        )
        async with worker:
            cases: dict[str, tuple[Callable[[str], Awaitable[Any]], ...]] = {
                "set": (
                    lambda wid: client.execute_workflow(
                        ExecuteServerlessWorkflow.run,
                        engine_input(set_definition(steps), {"sum": 0}),
                        id=wid,
                        task_queue=queue,
                    ),
                    lambda wid: client.execute_workflow(
                        PlainSetWorkflow.run, steps, id=wid, task_queue=queue
                    ),
                ),
                "http": (
                    lambda wid: client.execute_workflow(
                        ExecuteServerlessWorkflow.run,
                        engine_input(http_definition(steps, uri), {}),
                        id=wid,
                        task_queue=queue,
                    ),
                    lambda wid: client.execute_workflow(
                        PlainHttpWorkflow.run, [steps, uri], id=wid, task_queue=queue
                    ),
                ),
            }
            for name, (engine, plain) in cases.items():
                engine_s, engine_out, engine_events = await _timed(client, engine, repeats)
                plain_s, plain_out, plain_events = await _timed(client, plain, repeats)
                report[name] = {
                    "engine_seconds": round(engine_s, 4),
                    "plain_seconds": round(plain_s, 4),
                    "ratio": round(engine_s / plain_s, 2) if plain_s else None,
                    "engine_events": engine_events,
                    "plain_events": plain_events,
                    "engine_events_per_task": round(engine_events / steps, 2),
                    "same_output": engine_out == plain_out
                    or (isinstance(engine_out, dict) and engine_out.get("sum") == plain_out["sum"]),
                    "engine_output": engine_out,
                    "plain_output": plain_out,
                }
    return report


async def _run(steps: int, repeats: int) -> dict[str, Any]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), JsonHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = await start_dev_server()
    try:
        uri = f"http://127.0.0.1:{server.server_address[1]}/item"
        return await measure(env.client, uri, steps, repeats)
    finally:
        await env.shutdown()
        server.shutdown()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=50, help="tasks per workflow (default 50)")
    parser.add_argument("--repeats", type=int, default=3, help="measured runs (default 3)")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(_run(args.steps, args.repeats)), indent=2))
    return 0


if __name__ == "__main__":
    code = main()
    # Temporal's SDK can abort at interpreter finalization; leave without it.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
