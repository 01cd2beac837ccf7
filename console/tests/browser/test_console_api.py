"""The gateway's JSON API on the real server: refusals are JSON with a readable message
and the HTTP status of the gRPC code (no stack traces, no HTML error pages)."""

from __future__ import annotations

import asyncio
import signal
import time
from typing import Any

import aiohttp
import pytest
from console_platform import API_KEY, ConsolePlatform, start_console, stop

pytestmark = pytest.mark.integration

KEYED = {"Authorization": f"Bearer {API_KEY}"}
SLEEPER: dict[str, Any] = {
    "document": {"dsl": "1.0.0", "namespace": "console", "name": "napper", "version": "1.0.0"},
    "do": [{"nap": {"wait": {"minutes": 10}}}],
}
SCHEMA_WORKFLOW: dict[str, Any] = {
    "document": {"dsl": "1.0.0", "namespace": "console", "name": "typed", "version": "1.0.0"},
    "input": {
        "schema": {
            "format": "json",
            "document": {
                "type": "object",
                "required": ["count"],
                "properties": {"count": {"type": "integer", "minimum": 1}},
            },
        }
    },
    "do": [{"echo": {"set": {"count": "${ .count }"}}}],
}


async def _call(
    method: str, url: str, *, headers: dict[str, str] | None = None, **kwargs: Any
) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method, url, headers=headers, timeout=aiohttp.ClientTimeout(30), **kwargs
        ) as response,
    ):
        return response.status, await response.json()


async def test_refusals_are_readable_json(console_platform: ConsolePlatform) -> None:
    base = console_platform.console_url
    status, body = await _call("GET", f"{base}/api/executions")
    assert status == 401
    assert body["error"].startswith("GET /api/executions: the API key was refused")
    status, body = await _call("GET", f"{base}/api/executions/wex-missing", headers=KEYED)
    assert status == 404 and "wex-missing" in body["error"]
    status, body = await _call(
        "POST", f"{base}/api/executions/wex-missing/cancel", headers=KEYED, data="{not json"
    )
    assert status == 400 and body["error"].startswith("body: not valid JSON")


async def test_run_checks_the_input_against_the_schema_on_the_server_too(
    console_platform: ConsolePlatform,
) -> None:
    workflow = await console_platform.apply(SCHEMA_WORKFLOW)
    run = f"{console_platform.console_url}/api/workflows/{workflow.metadata.id}/run"
    status, body = await _call("POST", run, headers=KEYED, json={"input": {"count": 0}})
    assert status == 400
    assert body["error"] == "input: at '/count': 0 is less than the minimum of 1"
    status, body = await _call("POST", run, headers=KEYED, json={"input": [1]})
    assert (status, body["error"]) == (400, "input: must be a JSON object")
    status, body = await _call("POST", run, headers=KEYED, json={"input": {"count": 3}})
    assert status == 201 and body["id"].startswith("wex-")
    status, detail = await _call(
        "GET", f"{console_platform.console_url}/api/executions/{body['id']}", headers=KEYED
    )
    assert status == 200
    assert (detail["workflow"], detail["input"]) == ("typed", {"count": 3})


async def test_a_stop_does_not_wait_for_open_event_streams(
    console_platform: ConsolePlatform,
) -> None:
    workflow = await console_platform.apply(SLEEPER)
    async with console_platform.client() as client:
        execution = await client.start_execution(workflow, {})
    process, url = start_console(console_platform.server.address, console_platform.tmp, "stop")
    try:
        async with aiohttp.ClientSession() as session:
            events = f"{url}/api/executions/{execution.metadata.id}/events"
            async with session.get(events, headers=KEYED) as stream:
                assert stream.status == 200
                assert stream.headers["Content-Type"] == "text/event-stream"
                first = await asyncio.wait_for(stream.content.readline(), 30)
                assert first == b"event: execution\n"
                started = time.monotonic()
                process.send_signal(signal.SIGTERM)
                exit_code = await asyncio.to_thread(process.wait, 30)
                stopped_in = time.monotonic() - started
        assert exit_code == 0
        # The shutdown grace (2 s) plus process exit on a loaded machine, not aiohttp's 60 s.
        assert stopped_in < 20, stopped_in
    finally:
        stop(process)
        async with console_platform.client() as client:
            await client.control_execution("cancel", execution.metadata.id, "test over")
