"""SIGTERM stops a Temporal-connected server in the documented order and exits 0."""

from __future__ import annotations

import json

import pytest
from cross_service import ServerFactory

pytestmark = pytest.mark.integration


def test_shutdown_order_rpcs_worker_client_store(
    start_stigmer_server: ServerFactory, temporal_server_env: dict[str, str]
) -> None:
    server = start_stigmer_server(temporal_server_env)
    assert server.stop() == 0, server.logs()

    messages = [
        json.loads(line)["msg"] for line in server.logs().splitlines() if line.startswith("{")
    ]
    assert any(m.startswith("orchestration workers polling") for m in messages), messages
    order = [
        "stopping: RPCs",
        "orchestration workers stopped",
        "stopping: orchestration client",
        "stopping: store",
        "stopped",
    ]
    positions = [messages.index(step) for step in order]
    assert positions == sorted(positions), messages
