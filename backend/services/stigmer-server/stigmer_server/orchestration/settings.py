"""Temporal settings of stigmer-server, read once at start-up.

Queue names are not defined here: they come from the generated contracts
(``contract_temporal.py``), whose ``TaskQueue.resolve`` applies the documented
environment overrides. This module only resolves them once, at boot, so no code
path reads the environment later (and workflow code never does).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from stigmer.agentexecution.v1 import contract_temporal as agent_contract
from stigmer.workflowexecution.v1 import contract_temporal as workflow_contract

HOST_PORT_ENV = "TEMPORAL_HOST_PORT"
NAMESPACE_ENV = "TEMPORAL_NAMESPACE"
CONNECT_TIMEOUT_ENV = "STIGMER_TEMPORAL_CONNECT_TIMEOUT_SECONDS"

DEFAULT_HOST_PORT = "127.0.0.1:7233"
DEFAULT_NAMESPACE = "default"
# Short on purpose: boot must not hang when Temporal is down; the server then
# serves queries and leaves new executions PENDING.
DEFAULT_CONNECT_TIMEOUT = timedelta(seconds=3)


@dataclass(frozen=True)
class OrchestrationQueues:
    """The deployed task queue names (contract defaults unless overridden by env).

    Attributes:
        workflow_stigmer: Where this server's workflow-execution worker polls.
        workflow_runner: Where the workflow-runner serves ``ExecuteWorkflow``;
            handed to the orchestration workflow in its memo.
        agent_stigmer: Where this server's agent-execution worker polls.
        agent_runner: Where the agent-runner serves ``EnsureThread`` and
            ``ExecuteGraphton``; handed to the orchestration workflow in its memo.
    """

    workflow_stigmer: str
    workflow_runner: str
    agent_stigmer: str
    agent_runner: str

    @classmethod
    def resolve(cls, environ: Mapping[str, str] | None = None) -> OrchestrationQueues:
        """Resolve every queue from the contracts' defaults and env overrides."""
        return cls(
            workflow_stigmer=workflow_contract.WORKFLOW_EXECUTION_ORCHESTRATION_QUEUE.resolve(
                environ
            ),
            workflow_runner=workflow_contract.WORKFLOW_EXECUTION_RUNNER_QUEUE.resolve(environ),
            agent_stigmer=agent_contract.AGENT_EXECUTION_ORCHESTRATION_QUEUE.resolve(environ),
            agent_runner=agent_contract.AGENT_EXECUTION_RUNNER_QUEUE.resolve(environ),
        )


@dataclass(frozen=True)
class TemporalSettings:
    """How stigmer-server reaches Temporal.

    Attributes:
        host_port: ``TEMPORAL_HOST_PORT`` (default ``127.0.0.1:7233``).
        namespace: ``TEMPORAL_NAMESPACE`` (default ``default``).
        connect_timeout: How long boot waits for Temporal before giving up and
            serving without it (``STIGMER_TEMPORAL_CONNECT_TIMEOUT_SECONDS``, default 3).
        queues: The resolved task queues.
    """

    host_port: str
    namespace: str
    connect_timeout: timedelta
    queues: OrchestrationQueues

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> TemporalSettings:
        """Read the settings; a malformed timeout names its variable."""
        env = os.environ if environ is None else environ
        raw_timeout = env.get(CONNECT_TIMEOUT_ENV, "").strip()
        timeout = DEFAULT_CONNECT_TIMEOUT
        if raw_timeout:
            try:
                seconds = float(raw_timeout)
            except ValueError:
                raise ValueError(
                    f"{CONNECT_TIMEOUT_ENV}: expected a number of seconds, got {raw_timeout!r}"
                ) from None
            if seconds <= 0:
                raise ValueError(f"{CONNECT_TIMEOUT_ENV}: must be positive, got {raw_timeout!r}")
            timeout = timedelta(seconds=seconds)
        return cls(
            host_port=env.get(HOST_PORT_ENV, "").strip() or DEFAULT_HOST_PORT,
            namespace=env.get(NAMESPACE_ENV, "").strip() or DEFAULT_NAMESPACE,
            connect_timeout=timeout,
            queues=OrchestrationQueues.resolve(env),
        )
