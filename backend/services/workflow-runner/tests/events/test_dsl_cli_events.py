"""The `dsl` command end to end: a `dsl run` waiting on listen completes from `dsl emit`
(another process) and from its own --events-port HTTP endpoint."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from stigmer_common.payload_codec import KeyRing, encrypted_data_converter, load_keyring
from stigmer_testing.reference_data import spec_dir
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from tests.events.events_harness import WiredEngine, result
from workflow_runner.events.names import registry_workflow_id
from workflow_runner.events.publisher import BusConfig, EventPublisher
from workflow_runner.events.registry import EventRegistryWorkflow
from workflow_runner.wiring.worker import EngineProviders, build_engine_worker

pytestmark = pytest.mark.integration

SERVICE_ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SERVICE_ROOT), *sys.path])
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")  # one keyring shared by both processes
    return env


async def test_dsl_run_listen_completes_from_dsl_emit_and_http(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    address = env.client.service_client.config.target_host
    bus = f"cli-{uuid.uuid4().hex[:8]}"
    process_env = _env(tmp_path)
    listen = spec_dir() / "examples" / "listen-to-all.yaml"
    run = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "workflow_runner.cli",
        "run",
        str(listen),
        "--address",
        address,
        "--bus",
        bus,
        "--events-port",
        "0",
        "--no-lifecycle-events",
        env=process_env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert run.stderr is not None
    url = ""
    while not url:
        line = (await asyncio.wait_for(run.stderr.readline(), timeout=60)).decode()
        assert line, "dsl run exited early"
        found = re.search(r"accepting CloudEvents at (\S+)", line)
        url = found.group(1) if found else ""
    # Wait for the listen's subscription (the dsl process encrypts with the keyring it
    # generated under XDG_CONFIG_HOME, so read the registry with that keyring).
    key_file = tmp_path / "config" / "stigmer" / "payload-keys.json"
    keyring = load_keyring({"STIGMER_PAYLOAD_KEY_FILE": str(key_file)})
    client = Client(
        env.client.service_client,
        namespace=env.client.namespace,
        data_converter=encrypted_data_converter(keyring),
    )
    registry = client.get_workflow_handle_for(EventRegistryWorkflow.run, registry_workflow_id(bus))
    for _ in range(400):
        try:
            if (await registry.query(EventRegistryWorkflow.status)).subscriptions:
                break
        except RPCError:
            pass  # not started yet
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the dsl run never subscribed")
    emit = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "workflow_runner.cli",
            "emit",
            "--address",
            address,
            "--bus",
            bus,
            "--type",
            "com.fake-hospital.vitals.measurements.temperature",
            "--source",
            "https://cli.test",
            "--data",
            '{"temperature": 39.5}',
        ],
        env=process_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert emit.returncode == 0, emit.stderr
    async with httpx.AsyncClient() as http:
        reply = await http.post(
            url,
            content=json.dumps({"bpm": 130}),
            headers={
                "Content-Type": "application/json",
                "ce-specversion": "1.0",
                "ce-id": "cli-bpm-1",
                "ce-source": "https://monitor",
                "ce-type": "com.fake-hospital.vitals.measurements.bpm",
            },
        )
        assert reply.status_code == 202, reply.text
    stdout, _ = await asyncio.wait_for(run.communicate(), timeout=60)
    assert run.returncode == 0
    output = json.loads(stdout)
    assert sorted(output, key=str) == sorted([{"temperature": 39.5}, {"bpm": 130}], key=str)


async def test_dsl_serve_events_routes_posted_events(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    keyring = KeyRing.generate()
    process_env = _env(tmp_path)
    key = base64.b64encode(keyring.keys[keyring.current]).decode()
    process_env["STIGMER_PAYLOAD_KEYS"] = f"{keyring.current}={key}"
    client = Client(
        env.client.service_client,
        namespace=env.client.namespace,
        data_converter=encrypted_data_converter(keyring),
    )
    suffix = uuid.uuid4().hex[:10]
    bus = BusConfig(task_queue=f"serve-{suffix}", bus=f"serve-{suffix}")
    address = env.client.service_client.config.target_host
    async with build_engine_worker(
        client, task_queue=bus.task_queue, providers=EngineProviders(bus=bus)
    ):
        harness = WiredEngine(client, bus, EventPublisher(client, bus))
        handle = await harness.start(
            (spec_dir() / "examples" / "listen-to-any.yaml").read_text("utf-8")
        )
        await harness.subscribed(handle)
        server = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "workflow_runner.cli",
            "serve-events",
            "--address",
            address,
            "--bus",
            bus.bus,
            "--port",
            "0",
            env=process_env,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            assert server.stderr is not None
            line = (await asyncio.wait_for(server.stderr.readline(), timeout=60)).decode()
            found = re.search(r"accepting CloudEvents at (\S+)", line)
            assert found, line
            async with httpx.AsyncClient() as http:
                event = {
                    "specversion": "1.0",
                    "id": "srv-1",
                    "source": "https://x",
                    "type": "com.posted",
                    "data": {"via": "serve-events"},
                }
                reply = await http.post(
                    found.group(1),
                    content=json.dumps(event),
                    headers={"Content-Type": "application/cloudevents+json"},
                )
                assert reply.status_code == 202, reply.text
            assert await result(handle) == [{"via": "serve-events"}]
        finally:
            server.kill()
            await server.wait()
