"""Delivery survives kill -9 of the worker; `dsl emit` and the HTTP endpoint feed the bus."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from stigmer_common.payload_codec import KeyRing, encrypted_data_converter
from stigmer_testing.reference_data import spec_dir
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from tests.events.events_harness import WiredEngine, is_running, result
from workflow_runner.events.cloudevent import new_event
from workflow_runner.events.http_endpoint import CloudEventsEndpoint
from workflow_runner.events.publisher import BusConfig, EventPublisher

pytestmark = pytest.mark.integration

SERVICE_ROOT = Path(__file__).resolve().parents[2]
REPO_ROOT = SERVICE_ROOT.parents[2]


def _subprocess_env(keyring: KeyRing) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(SERVICE_ROOT), str(REPO_ROOT / "backend/libs/python"), *sys.path]
    )
    key = base64.b64encode(keyring.keys[keyring.current]).decode()
    env["STIGMER_PAYLOAD_KEYS"] = f"{keyring.current}={key}"
    return env


def _start_worker(address: str, bus: BusConfig, env: dict[str, str]) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("events_worker_process.py")),
            address,
            bus.task_queue,
            bus.bus,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.strip() == "ready", f"worker did not start: {line!r}"
    return process


async def test_kill_9_worker_while_listening_then_dsl_emit_completes_once(
    env: WorkflowEnvironment, bus_config: BusConfig
) -> None:
    keyring = KeyRing.generate()
    sub_env = _subprocess_env(keyring)
    address = env.client.service_client.config.target_host
    client = Client(
        env.client.service_client,
        namespace=env.client.namespace,
        data_converter=encrypted_data_converter(keyring),
    )
    harness = WiredEngine(client, bus_config, EventPublisher(client, bus_config))
    worker = _start_worker(address, bus_config, sub_env)
    try:
        handle = await harness.start(
            (spec_dir() / "examples" / "listen-to-any.yaml").read_text(encoding="utf-8")
        )
        await harness.subscribed(handle)
        os.kill(worker.pid, signal.SIGKILL)  # no graceful shutdown of any kind
        worker.wait()
        worker = _start_worker(address, bus_config, sub_env)
        emitted = await asyncio.to_thread(
            subprocess.run,
            [
                sys.executable,
                "-m",
                "workflow_runner.cli",
                "emit",
                "--type",
                "com.after.crash",
                "--source",
                "https://cli.test",
                "--data",
                '{"survived": true}',
                "--address",
                address,
                "--bus",
                bus_config.bus,
            ],
            env=sub_env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert emitted.returncode == 0, emitted.stderr
        event = json.loads(emitted.stdout)
        assert event["type"] == "com.after.crash"
        assert await result(handle) == [{"survived": True}]
        history = await handle.fetch_history()
        signals = [
            e for e in history.events if e.HasField("workflow_execution_signaled_event_attributes")
        ]
        assert len(signals) == 1, "the event must be delivered exactly once"
    finally:
        worker.kill()
        worker.wait()


async def test_http_endpoint_completes_waiting_executions_in_both_modes(
    wired: WiredEngine,
) -> None:
    definition = (spec_dir() / "examples" / "listen-to-any-filter.yaml").read_text("utf-8")
    first = await wired.start(definition)
    await wired.subscribed(first)
    endpoint = CloudEventsEndpoint(wired.publisher.publish, asyncio.get_running_loop()).start()
    try:
        async with httpx.AsyncClient() as http:
            structured = new_event(
                type="com.fake-hospital.vitals.measurements.temperature",
                source="https://monitor.local",
                data={"temperature": 40},
            )
            reply = await http.post(
                endpoint.url,
                content=json.dumps(structured),
                headers={"Content-Type": "application/cloudevents+json"},
            )
            assert reply.status_code == 202, reply.text
            assert await result(first) == [{"temperature": 40}]

            second = await wired.start(definition)
            await wired.subscribed(second)
            reply = await http.post(
                endpoint.url,
                content=json.dumps({"bpm": 45}),
                headers={
                    "Content-Type": "application/json",
                    "ce-specversion": "1.0",
                    "ce-id": f"bin-{uuid.uuid4()}",
                    "ce-source": "https://monitor.local",
                    "ce-type": "com.fake-hospital.vitals.measurements.bpm",
                },
            )
            assert reply.status_code == 202, reply.text
            assert await result(second) == [{"bpm": 45}]
            assert not await is_running(second)
    finally:
        endpoint.stop()


async def test_event_published_while_no_worker_runs_is_delivered_after_restart(
    env: WorkflowEnvironment, bus_config: BusConfig
) -> None:
    keyring = KeyRing.generate()
    sub_env = _subprocess_env(keyring)
    address = env.client.service_client.config.target_host
    client = Client(
        env.client.service_client,
        namespace=env.client.namespace,
        data_converter=encrypted_data_converter(keyring),
    )
    harness = WiredEngine(client, bus_config, EventPublisher(client, bus_config))
    worker = _start_worker(address, bus_config, sub_env)
    try:
        handle = await harness.start(
            (spec_dir() / "examples" / "listen-to-any.yaml").read_text(encoding="utf-8")
        )
        await harness.subscribed(handle)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        # Published with no worker alive: it waits in the registry's history.
        await harness.publisher.publish(
            new_event(type="com.while.down", source="https://test", data={"n": 1})
        )
        worker = _start_worker(address, bus_config, sub_env)
        assert await result(handle) == [{"n": 1}]
    finally:
        worker.kill()
        worker.wait()
