"""What the orchestration needs to reach Temporal, derived once from the server config.

Queue names are not defined here: they come from the generated contracts
(``contract_temporal.py``), whose ``TaskQueue.resolve`` applies the documented
environment overrides. The server config records which overrides were set; this
module resolves the four queues from them once, at boot, so nothing reads the
environment later (and workflow code never does).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from stigmer.agentexecution.v1 import contract_temporal as agent_contract
from stigmer.workflowexecution.v1 import contract_temporal as workflow_contract

from stigmer_server import config

# Short on purpose: one connection attempt must not hang when Temporal is down;
# the server serves queries meanwhile and keeps trying in the background.
DEFAULT_CONNECT_TIMEOUT = timedelta(seconds=3)


@dataclass(frozen=True)
class OrchestrationQueues:
    """The deployed task queue names (contract defaults unless overridden).

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
    def resolve(cls, overrides: Mapping[str, str]) -> OrchestrationQueues:
        """Each queue is its contract's default unless ``overrides`` sets its variable."""
        return cls(
            workflow_stigmer=workflow_contract.WORKFLOW_EXECUTION_ORCHESTRATION_QUEUE.resolve(
                overrides
            ),
            workflow_runner=workflow_contract.WORKFLOW_EXECUTION_RUNNER_QUEUE.resolve(overrides),
            agent_stigmer=agent_contract.AGENT_EXECUTION_ORCHESTRATION_QUEUE.resolve(overrides),
            agent_runner=agent_contract.AGENT_EXECUTION_RUNNER_QUEUE.resolve(overrides),
        )


@dataclass(frozen=True)
class OrchestrationSettings:
    """How stigmer-server reaches Temporal.

    Attributes:
        host_port: ``TEMPORAL_HOST_PORT`` (default ``127.0.0.1:7233``).
        namespace: ``TEMPORAL_NAMESPACE`` (default ``default``).
        connect_timeout: How long one connection attempt waits for Temporal.
        queues: The resolved task queues.
        reconcile_interval: How often unstarted PENDING executions are started
            (and how often a lost Temporal is retried, at most).
        start_deadline: How long an execution may stay unstartable before it
            ends FAILED.
    """

    host_port: str
    namespace: str
    connect_timeout: timedelta
    queues: OrchestrationQueues
    reconcile_interval: timedelta = timedelta(seconds=config.DEFAULT_RECONCILE_INTERVAL_SECONDS)
    start_deadline: timedelta = timedelta(seconds=config.DEFAULT_START_DEADLINE_SECONDS)

    @classmethod
    def from_config(
        cls,
        temporal: config.TemporalSettings,
        *,
        connect_timeout: timedelta = DEFAULT_CONNECT_TIMEOUT,
    ) -> OrchestrationSettings:
        """Derive the settings from the server's Temporal config section."""
        if connect_timeout <= timedelta(0):
            raise ValueError(f"connect_timeout: must be positive, got {connect_timeout}")
        return cls(
            host_port=temporal.host_port,
            namespace=temporal.namespace,
            connect_timeout=connect_timeout,
            queues=OrchestrationQueues.resolve(dict(temporal.queue_overrides)),
            reconcile_interval=timedelta(seconds=temporal.reconcile_interval_seconds),
            start_deadline=timedelta(seconds=temporal.start_deadline_seconds),
        )
