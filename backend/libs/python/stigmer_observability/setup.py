"""``setup_observability``: logs, metrics and health of a process in one call.

Call it first thing in ``main`` (before any Temporal client exists), then run
the process's work inside ``async with observability.running():`` and register
what readiness means for the process::

    observability = setup_observability("agent-runner", ObservabilityConfig.from_env())
    async with observability.running():
        client = await Client.connect(...)
        ...  # build the workers
        observability.track_temporal(lambda: client, lambda: workers)
        ...
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from stigmer_observability.config import ObservabilityConfig
from stigmer_observability.http_endpoint import Endpoint, HttpEndpoint, LoopHeartbeat
from stigmer_observability.log_setup import configure_logging
from stigmer_observability.metrics import BUILD_INFO
from stigmer_observability.readiness import Readiness, TemporalProbe, watch_workers
from stigmer_observability.temporal_metrics import TemporalMetrics, install_temporal_runtime

_log = logging.getLogger(__name__)


@dataclass
class Observability:
    """What :func:`setup_observability` set up; :meth:`close` undoes the listeners.

    Attributes:
        service: The process's name (the ``service`` of log lines and metrics).
        readiness: Add the process's readiness checks here.
        metrics_address: Where ``/metrics`` is served ("" when off or unavailable).
        health_address: Where ``/healthz`` and ``/readyz`` are served ("" likewise).
        temporal_metrics: The Temporal SDK's exporter, when installed.
    """

    service: str
    readiness: Readiness
    heartbeat: LoopHeartbeat
    metrics_address: str = ""
    health_address: str = ""
    temporal_metrics: TemporalMetrics | None = None
    _listeners: list[HttpEndpoint] = field(default_factory=list)

    _probes: list[TemporalProbe] = field(default_factory=list)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Observability]:
        """Liveness follows the event loop while the block runs (probes stop with it)."""
        self.heartbeat.start()
        try:
            yield self
        finally:
            for probe in self._probes:
                await probe.stop()
            self._probes.clear()
            await self.heartbeat.stop()

    def track_temporal(
        self,
        client: Callable[[], Client | None],
        workers: Callable[[], Iterable[Worker]],
    ) -> TemporalProbe:
        """Readiness of a Temporal worker process: checks ``temporal`` and ``workers``.

        ``temporal``: the frontend of ``client()`` answered the last health probe
        (None: not connected). ``workers``: every worker ``workers()`` returns is
        running. Call inside :meth:`running` (the probe is a task of its loop).
        """

        def service() -> Any:
            current = client()
            return current.service_client if current is not None else None

        probe = TemporalProbe(service)
        probe.start()
        self._probes.append(probe)
        self.readiness.add("temporal", probe.check)
        watch_workers(self.readiness, "workers", workers)
        return probe

    def close(self) -> None:
        """Stop the HTTP listeners (the process is about to exit)."""
        for listener in self._listeners:
            listener.stop()
        self._listeners.clear()


def setup_observability(
    service: str, config: ObservabilityConfig, *, temporal_sdk_metrics: bool = True
) -> Observability:
    """Configure logging, export the Temporal SDK's metrics, serve /metrics and health.

    A listener that cannot bind (a busy port) is logged as an error and the
    process goes on without it: metrics and probes are for operators, and an
    execution must not fail because of them.

    Args:
        service: The process's name, e.g. "stigmer-server".
        config: Addresses and log settings (see :class:`ObservabilityConfig`).
        temporal_sdk_metrics: Install the SDK runtime exporting Prometheus metrics
            (False for a process that creates no Temporal client, or already did).
    """
    configure_logging(service, level=config.log_level, fmt=config.log_format)
    BUILD_INFO.labels(service=service, version=_version()).set(1)
    temporal: TemporalMetrics | None = None
    if temporal_sdk_metrics:
        try:
            temporal = install_temporal_runtime(
                service, address=config.temporal_metrics_address or None
            )
        except RuntimeError as error:
            _log.error("no Temporal SDK metrics: %s", error)
    observability = Observability(service, Readiness(), LoopHeartbeat(), temporal_metrics=temporal)
    endpoint = Endpoint(
        service,
        observability.readiness,
        observability.heartbeat,
        temporal.exposition if temporal is not None else None,
    )
    bound: dict[str, str] = {}
    for address in config.listeners():
        host, _, port = address.rpartition(":")
        try:
            listener = HttpEndpoint(endpoint, host, int(port)).start()
        except OSError as error:
            _log.error(
                "cannot serve metrics/health on %s: %s",
                address,
                error.strerror or error,
                extra={"event": "observability_listen_failed", "address": address},
            )
            continue
        observability._listeners.append(listener)
        bound[address] = listener.address
    observability.metrics_address = bound.get(config.metrics_address, "")
    observability.health_address = bound.get(config.health_address, "")
    _log.info(
        "%s metrics on %s, health on %s",
        service,
        f"http://{observability.metrics_address}/metrics" if observability.metrics_address else "-",
        f"http://{observability.health_address}/readyz" if observability.health_address else "-",
        extra={
            "event": "observability_listening",
            "metrics_address": observability.metrics_address,
            "health_address": observability.health_address,
        },
    )
    return observability


def _version() -> str:
    try:
        return metadata.version("stigmer")
    except metadata.PackageNotFoundError:
        return "dev"
