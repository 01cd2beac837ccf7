"""Runner process configuration, read once from the environment at start-up.

Nothing else in the runner reads ``os.environ``: workers, activities and the
stigmer-server client receive a :class:`RunnerSettings`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from stigmer.engine.v1.contract_temporal import SERVERLESS_WORKFLOW_ENGINE_QUEUE
from stigmer.events.v1.contract_temporal import EVENT_REGISTRY_QUEUE
from stigmer.workflowexecution.v1.contract_temporal import WORKFLOW_EXECUTION_RUNNER_QUEUE
from stigmer_client.env import SettingsError, env_address, env_flag
from stigmer_runner.settings import RunnerConnections

from workflow_runner.events.names import REGISTRY_TASK_QUEUE

__all__ = ["RunnerSettings", "SettingsError"]


@dataclass(frozen=True)
class RunnerSettings(RunnerConnections):
    """Everything a workflow-runner process needs to know about its deployment.

    Where stigmer-server and Temporal are: see :class:`RunnerConnections`.

    Attributes:
        runner_queue: queue of ``ExecuteWorkflow`` (contract default + env override).
        engine_queue: queue of the engine workflow (contract default + env override).
        events_address: ``host:port`` of the CloudEvents HTTP endpoint
            (``STIGMER_EVENTS_ADDRESS``; unset: no endpoint).
        event_queue: queue of the event registry (``TEMPORAL_EVENT_REGISTRY_TASK_QUEUE``).
        lifecycle_events: publish the spec's lifecycle events of platform runs
            (``STIGMER_LIFECYCLE_EVENTS``, default false: each costs history).
        async_completion: ``ENABLE_ASYNC_ACTIVITY_COMPLETION`` (default true):
            ``ExecuteWorkflow`` hands its token to the engine and returns pending,
            holding no worker slot; false runs the engine while the activity
            waits for its result (one slot per running execution), kept for
            comparison.
    """

    runner_queue: str = WORKFLOW_EXECUTION_RUNNER_QUEUE.default
    engine_queue: str = SERVERLESS_WORKFLOW_ENGINE_QUEUE.default
    event_queue: str = REGISTRY_TASK_QUEUE
    events_address: str = ""
    lifecycle_events: bool = False
    async_completion: bool = True

    @staticmethod
    def from_env(env: Mapping[str, str] | None = None) -> RunnerSettings:
        """Read the settings (default: the process environment).

        Raises:
            SettingsError: a variable is malformed.
        """
        source = os.environ if env is None else env
        return RunnerSettings(
            **RunnerConnections.fields_from_env(source),
            async_completion=env_flag(source, "ENABLE_ASYNC_ACTIVITY_COMPLETION", default=True),
            lifecycle_events=env_flag(source, "STIGMER_LIFECYCLE_EVENTS", default=False),
            event_queue=EVENT_REGISTRY_QUEUE.resolve(source),
            events_address=env_address(source, "STIGMER_EVENTS_ADDRESS"),
            runner_queue=WORKFLOW_EXECUTION_RUNNER_QUEUE.resolve(source),
            engine_queue=SERVERLESS_WORKFLOW_ENGINE_QUEUE.resolve(source),
        )
