"""Cancel latency on the real platform: Cancel RPC -> CANCELLED observed, engine stopped.

Not a test: a measurement to read. It starts a Temporal dev server, a
stigmer-server process and a workflow-runner process on loopback, applies a
workflow whose second task is a long ``wait`` (default) or a slow ``call: http``
to a local server, and for each of ``--runs`` executions: waits until that task
is IN_PROGRESS, then sends Cancel and times, from the moment the RPC is sent,

- ``rpc``: the Cancel RPC answered (CANCELLED is durable in the store);
- ``observed``: an open Subscribe stream delivered the CANCELLED state;
- ``engine_stopped``: the engine workflow closed CANCELLED in Temporal
  (``handle.result()`` long-poll returned), i.e. it stopped running tasks;
- ``orchestration_stopped``: the orchestration workflow closed.

Prints one JSON report with p50/p99/max per figure (milliseconds).

Run: ``bazel run //tools/bench:cancel_latency -- --runs 30`` or, from the
virtualenv, ``PYTHONPATH=gen/python:backend/libs/python:backend/services/stigmer-server:\
backend/services/workflow-runner:cli .venv/bin/python tools/bench/cancel_latency.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from stigmer.commons.v1 import phase_pb2
from stigmer_cli.api import StigmerClient
from stigmer_common.payload_codec import encrypted_data_converter, load_keyring
from stigmer_common.temporal_dev_server import start_dev_server
from stigmer_dsl.converter import workflow_from_dsl
from stigmer_testing.server_process import start_server
from temporalio.client import Client, WorkflowFailureError
from workflow_runner.bridge.execute_workflow import engine_workflow_id

FIGURES = ("rpc", "observed", "engine_stopped", "orchestration_stopped")


class _Slow(BaseHTTPRequestHandler):
    stop = threading.Event()

    def do_GET(self) -> None:
        self.stop.wait(120)

    def log_message(self, *args: object) -> None:
        return None


@contextmanager
def _slow_http() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/slow"
    finally:
        _Slow.stop.set()
        server.shutdown()
        server.server_close()


def _document(task: str, url: str) -> dict[str, Any]:
    long_task: dict[str, Any] = (
        {"wait": {"seconds": 120}}
        if task == "wait"
        else {"call": "http", "with": {"method": "get", "endpoint": url}}
    )
    return {
        "document": {
            "dsl": "1.0.0",
            "namespace": "bench",
            "name": "cancel-latency",
            "version": "1.0.0",
        },
        "do": [{"first": {"set": {"step": 1}}}, {"long": long_task}],
    }


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


async def _one_run(
    client: StigmerClient, temporal: Client, workflow: Any, rows: dict[str, list[float]]
) -> None:
    execution = await client.start_execution(workflow, {})
    execution_id = execution.metadata.id
    stream = client.subscribe(execution_id)
    async for update in stream:  # until the long task runs
        if any(t.name == "long" and t.status == phase_pb2.IN_PROGRESS for t in update.status.tasks):
            break
    engine = temporal.get_workflow_handle(engine_workflow_id(execution_id))
    orchestration = temporal.get_workflow_handle(
        f"stigmer/workflow-execution/invoke/{execution_id}"
    )

    async def closed(handle: Any) -> float:
        try:
            await handle.result()
        except WorkflowFailureError:
            pass
        return time.perf_counter()

    async def observed() -> float:
        async for update in stream:
            if update.status.phase == phase_pb2.CANCELLED:
                return time.perf_counter()
        raise RuntimeError(f"{execution_id}: stream ended without CANCELLED")

    watchers = [
        asyncio.create_task(observed()),
        asyncio.create_task(closed(engine)),
        asyncio.create_task(closed(orchestration)),
    ]
    await asyncio.sleep(0.2)  # the long-polls are in flight before the clock starts
    sent = time.perf_counter()
    reply = await client.control_execution("cancel", execution_id, "bench")
    answered = time.perf_counter()
    assert reply.status.phase == phase_pb2.CANCELLED
    seen, engine_done, orchestration_done = await asyncio.wait_for(asyncio.gather(*watchers), 60)
    description = await engine.describe()
    if description.status is None or description.status.name != "CANCELED":
        raise RuntimeError(f"{execution_id}: engine ended {description.status}, not CANCELED")
    for name, at in zip(FIGURES, (answered, seen, engine_done, orchestration_done), strict=True):
        rows[name].append((at - sent) * 1000)


def _start_runner(extra_env: dict[str, str], tmp: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        # Metrics/health on a free port: the deployed defaults may be taken on this host.
        "STIGMER_METRICS_ADDRESS": "127.0.0.1:0",
        "STIGMER_HEALTH_ADDRESS": "off",
        **extra_env,
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
    }
    with (Path(tmp) / "runner.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "workflow_runner"], env=env, stdout=log, stderr=subprocess.STDOUT
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    keys = "k1=" + base64.b64encode(os.urandom(32)).decode()
    env = await start_dev_server()
    target = env.client.service_client.config.target_host
    stack_env = {"TEMPORAL_HOST_PORT": target, "STIGMER_PAYLOAD_KEYS": keys}
    with tempfile.TemporaryDirectory(prefix="cancel-bench-") as tmp, _slow_http() as url:
        server = start_server(Path(tmp) / "data", log_path=Path(tmp) / "server.log", env=stack_env)
        runner = _start_runner({**stack_env, "STIGMER_SERVICE_ENDPOINT": server.address}, tmp)
        rows: dict[str, list[float]] = {name: [] for name in FIGURES}
        try:
            temporal = await Client.connect(
                target,
                data_converter=encrypted_data_converter(
                    load_keyring({"STIGMER_PAYLOAD_KEYS": keys})
                ),
            )
            async with StigmerClient(server.address) as client:
                workflow = await client.apply_workflow(
                    workflow_from_dsl(_document(args.task, url))[0]
                )
                for _ in range(args.warmup):
                    await _one_run(client, temporal, workflow, {name: [] for name in FIGURES})
                for _ in range(args.runs):
                    await _one_run(client, temporal, workflow, rows)
        finally:
            _stop(runner)
            server.stop()
            await env.shutdown()
    return {
        "task": args.task,
        "runs": args.runs,
        "ms": {
            name: {
                "p50": round(_percentile(values, 0.5), 1),
                "p99": round(_percentile(values, 0.99), 1),
                "max": round(max(values), 1),
            }
            for name, values in rows.items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="measured executions (default 30)")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured first runs (default 2)")
    parser.add_argument(
        "--task", choices=("wait", "http"), default="wait", help="the long task cancelled"
    )
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main_async(args)), indent=2))


if __name__ == "__main__":
    main()
