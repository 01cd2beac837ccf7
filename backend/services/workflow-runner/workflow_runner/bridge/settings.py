"""Runner process configuration, read once from the environment at start-up.

Nothing else in the runner reads ``os.environ``: workers, activities and the
stigmer-server client receive a :class:`RunnerSettings`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from stigmer.engine.v1.contract_temporal import SERVERLESS_WORKFLOW_ENGINE_QUEUE
from stigmer.events.v1.contract_temporal import EVENT_REGISTRY_QUEUE
from stigmer.workflowexecution.v1.contract_temporal import WORKFLOW_EXECUTION_RUNNER_QUEUE

from workflow_runner.events.names import REGISTRY_TASK_QUEUE

DEFAULT_STIGMER_ENDPOINT = "127.0.0.1:7234"
DEFAULT_TEMPORAL_HOST_PORT = "127.0.0.1:7233"


class SettingsError(ValueError):
    """An environment variable holds a value the runner cannot use (names it)."""


@dataclass(frozen=True)
class RunnerSettings:
    """Everything a workflow-runner process needs to know about its deployment.

    Attributes:
        stigmer_endpoint: stigmer-server gRPC address (``STIGMER_SERVICE_ENDPOINT``).
        stigmer_api_key: sent as ``authorization: Bearer`` (``STIGMER_SERVICE_API_KEY``).
        stigmer_use_tls: TLS to stigmer-server (``STIGMER_SERVICE_USE_TLS``: true/false;
            true when a CA file is given).
        stigmer_ca_file: PEM CA certificate(s) trusted for stigmer-server's
            certificate (``STIGMER_SERVICE_CA_FILE``; unset: the system roots).
        temporal_host_port: Temporal frontend (``TEMPORAL_HOST_PORT``).
        temporal_namespace: ``TEMPORAL_NAMESPACE``.
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

    stigmer_endpoint: str = DEFAULT_STIGMER_ENDPOINT
    stigmer_api_key: str = field(default="", repr=False)
    stigmer_use_tls: bool = False
    stigmer_ca_file: str = ""
    temporal_host_port: str = DEFAULT_TEMPORAL_HOST_PORT
    temporal_namespace: str = "default"
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
        ca_file = _readable(source, "STIGMER_SERVICE_CA_FILE")
        return RunnerSettings(
            stigmer_endpoint=source.get("STIGMER_SERVICE_ENDPOINT") or DEFAULT_STIGMER_ENDPOINT,
            stigmer_api_key=source.get("STIGMER_SERVICE_API_KEY") or "",
            stigmer_use_tls=_flag(source, "STIGMER_SERVICE_USE_TLS", default=False)
            or bool(ca_file),
            stigmer_ca_file=ca_file,
            async_completion=_flag(source, "ENABLE_ASYNC_ACTIVITY_COMPLETION", default=True),
            lifecycle_events=_flag(source, "STIGMER_LIFECYCLE_EVENTS", default=False),
            event_queue=EVENT_REGISTRY_QUEUE.resolve(source),
            events_address=_address(source, "STIGMER_EVENTS_ADDRESS"),
            temporal_host_port=source.get("TEMPORAL_HOST_PORT") or DEFAULT_TEMPORAL_HOST_PORT,
            temporal_namespace=source.get("TEMPORAL_NAMESPACE") or "default",
            runner_queue=WORKFLOW_EXECUTION_RUNNER_QUEUE.resolve(source),
            engine_queue=SERVERLESS_WORKFLOW_ENGINE_QUEUE.resolve(source),
        )


def _flag(source: Mapping[str, str], name: str, *, default: bool) -> bool:
    text = (source.get(name) or "").strip().lower()
    if not text:
        return default
    if text not in ("true", "false", "1", "0", "yes", "no"):
        raise SettingsError(f"{name} must be true or false, got {text!r}")
    return text in ("true", "1", "yes")


def _address(source: Mapping[str, str], name: str) -> str:
    text = (source.get(name) or "").strip()
    if text:
        _, colon, port = text.rpartition(":")
        if not colon or not port.isdigit() or int(port) > 65535:
            raise SettingsError(f"{name} must be HOST:PORT, got {text!r}")
    return text


def _readable(source: Mapping[str, str], name: str) -> str:
    path = (source.get(name) or "").strip()
    if path:
        try:
            with open(path, "rb"):
                pass
        except OSError as error:
            raise SettingsError(f"{name} {path!r} cannot be read: {error.strerror}") from None
    return path
