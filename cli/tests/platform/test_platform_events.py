"""Events on the platform (real processes): an execution waiting in `listen` completes
from an event another execution emits, and from one sent with `stigmer emit` to the
runner's CloudEvents endpoint."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import uuid

import pytest
from e2e_platform import Platform, followed_to_end
from google.protobuf import json_format
from stigmer.commons.v1 import phase_pb2
from stigmer_cli.api import StigmerClient
from stigmer_dsl.converter import workflow_from_dsl

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

TIMEOUT = 90.0


def _free_address() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


def _listener(event_type: str) -> dict[str, object]:
    return {
        "document": {"dsl": "1.0.0", "namespace": "e2e", "name": "waits", "version": "1.0.0"},
        "do": [
            {"wait": {"listen": {"to": {"one": {"with": {"type": event_type}}}}}},
            {"paid": {"set": {"amount": "${ .[0].amount }"}}},
        ],
    }


def _emitter(event_type: str) -> dict[str, object]:
    return {
        "document": {"dsl": "1.0.0", "namespace": "e2e", "name": "pays", "version": "1.0.0"},
        "do": [
            {
                "announce": {
                    "emit": {
                        "event": {
                            "with": {
                                "type": event_type,
                                "source": "https://e2e.example/payments",
                                "data": {"amount": "${ .amount }"},
                            }
                        }
                    }
                }
            }
        ],
    }


async def _waiting(client: StigmerClient, execution_id: str) -> None:
    """Until the listen task runs (its subscription is then being registered)."""
    async with asyncio.timeout(TIMEOUT):
        async for update in client.subscribe(execution_id):
            if any(t.name == "wait" for t in update.status.tasks):
                return


async def test_listen_completes_from_another_executions_emit(platform: Platform) -> None:
    event_type = f"com.example.paid.{uuid.uuid4().hex[:8]}"
    async with StigmerClient(platform.server.address) as client:
        listener = await client.apply_workflow(workflow_from_dsl(_listener(event_type))[0])
        emitter = await client.apply_workflow(workflow_from_dsl(_emitter(event_type))[0])
        waiting = await client.start_execution(listener, {})
        await _waiting(client, waiting.metadata.id)
        sender = await client.start_execution(emitter, {"amount": 42})
        sent = await followed_to_end(client, sender.metadata.id)
        received = await followed_to_end(client, waiting.metadata.id)
    assert sent.status.phase == phase_pb2.COMPLETED, platform.logs()
    assert received.status.phase == phase_pb2.COMPLETED, platform.logs()
    assert json_format.MessageToDict(received.status.output) == {"amount": 42}


async def test_listen_completes_from_stigmer_emit(platform: Platform) -> None:
    assert platform.runner is not None
    platform.runner.stop()
    events = _free_address()
    platform.env["STIGMER_EVENTS_ADDRESS"] = events
    platform.start_runner()
    event_type = f"com.example.paid.{uuid.uuid4().hex[:8]}"
    async with StigmerClient(platform.server.address) as client:
        listener = await client.apply_workflow(workflow_from_dsl(_listener(event_type))[0])
        waiting = await client.start_execution(listener, {})
        await _waiting(client, waiting.metadata.id)
        emitted = await asyncio.to_thread(
            subprocess.run,
            [
                sys.executable,
                "-m",
                "stigmer_cli",
                "emit",
                "--type",
                event_type,
                "--source",
                "/e2e/cli",
                "--data",
                '{"amount": 7}',
                "--events",
                events,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env={**platform.runner_env()},
        )
        assert emitted.returncode == 0, emitted.stderr + platform.logs()
        assert json.loads(emitted.stdout)["type"] == event_type
        received = await followed_to_end(client, waiting.metadata.id)
    assert received.status.phase == phase_pb2.COMPLETED, platform.logs()
    assert json_format.MessageToDict(received.status.output) == {"amount": 7}


async def test_stigmer_emit_without_an_endpoint_is_one_line(platform: Platform) -> None:
    emitted = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "stigmer_cli",
            "emit",
            "--type",
            "t",
            "--source",
            "/s",
            "--events",
            _free_address(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**platform.runner_env()},
    )
    assert emitted.returncode == 3  # unreachable (docs/cli.md: exit codes)
    assert emitted.stderr.count("\n") == 1, emitted.stderr
    assert "not reachable" in emitted.stderr
