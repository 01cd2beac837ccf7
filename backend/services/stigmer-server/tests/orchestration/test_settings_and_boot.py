"""Settings from the environment, and boot without a reachable Temporal."""

from __future__ import annotations

import logging
import socket
import time
from datetime import timedelta

import pytest
from stigmer.agentexecution.v1.contract_temporal import (
    AGENT_EXECUTION_ORCHESTRATION_QUEUE,
    AGENT_EXECUTION_RUNNER_QUEUE,
)
from stigmer.workflowexecution.v1.contract_temporal import (
    WORKFLOW_EXECUTION_ORCHESTRATION_QUEUE,
    WORKFLOW_EXECUTION_RUNNER_QUEUE,
)
from stigmer_server.config import ServerConfig
from stigmer_server.orchestration import memo
from stigmer_server.orchestration.connection import connect_at_boot
from stigmer_server.orchestration.settings import OrchestrationQueues, OrchestrationSettings


def _settings(env: dict[str, str], **kwargs: timedelta) -> OrchestrationSettings:
    return OrchestrationSettings.from_config(ServerConfig.from_env(env).temporal, **kwargs)


def test_defaults_come_from_the_contracts() -> None:
    settings = _settings({})
    assert settings.host_port == "127.0.0.1:7233"
    assert settings.namespace == "default"
    assert settings.connect_timeout == timedelta(seconds=3)
    assert settings.queues == OrchestrationQueues(
        workflow_stigmer=WORKFLOW_EXECUTION_ORCHESTRATION_QUEUE.default,
        workflow_runner=WORKFLOW_EXECUTION_RUNNER_QUEUE.default,
        agent_stigmer=AGENT_EXECUTION_ORCHESTRATION_QUEUE.default,
        agent_runner=AGENT_EXECUTION_RUNNER_QUEUE.default,
    )


def test_env_overrides_every_queue_and_the_address() -> None:
    settings = _settings(
        {
            "TEMPORAL_HOST_PORT": "temporal:7233",
            "TEMPORAL_NAMESPACE": "prod",
            WORKFLOW_EXECUTION_ORCHESTRATION_QUEUE.env: "a",
            WORKFLOW_EXECUTION_RUNNER_QUEUE.env: "b",
            AGENT_EXECUTION_ORCHESTRATION_QUEUE.env: "c",
            AGENT_EXECUTION_RUNNER_QUEUE.env: "d",
        }
    )
    assert (settings.host_port, settings.namespace) == ("temporal:7233", "prod")
    queues = settings.queues
    assert (queues.workflow_stigmer, queues.workflow_runner) == ("a", "b")
    assert (queues.agent_stigmer, queues.agent_runner) == ("c", "d")


def test_non_positive_connect_timeout_is_refused() -> None:
    with pytest.raises(ValueError, match="connect_timeout"):
        _settings({}, connect_timeout=timedelta(0))


def test_memo_carries_the_runner_queue_under_the_wire_key() -> None:
    # Pinned on purpose: the memo key is shared with starters in other languages.
    assert memo.runner_queue_memo("q1") == {"activityTaskQueue": "q1"}
    with pytest.raises(ValueError, match="runner_queue"):
        memo.runner_queue_memo("")


async def test_unreachable_temporal_returns_none_quickly_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = _settings(
        {"TEMPORAL_HOST_PORT": f"127.0.0.1:{port}"}, connect_timeout=timedelta(seconds=1)
    )
    caplog.set_level(logging.WARNING, logger="stigmer_server.orchestration")
    started = time.monotonic()
    client = await connect_at_boot(settings)
    elapsed = time.monotonic() - started
    assert client is None
    assert elapsed < 5
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert f"127.0.0.1:{port}" in warnings[0].getMessage()
    assert "PENDING" in warnings[0].getMessage()
