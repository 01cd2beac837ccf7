"""The Temporal SDK's metrics, served on the process's one ``/metrics``.

The SDK's core exports its metrics (pollers, task slots, schedule-to-start
latencies, activity and workflow task counts ...) through its runtime's
telemetry config. We give it a Prometheus exporter on a private loopback port
and append what it serves to our own exposition: operators scrape one endpoint
per process, and the SDK's histograms keep the buckets the SDK chose (a
:class:`temporalio.runtime.MetricBuffer` bridge would have to re-bucket every
value in Python). Counters get ``_total`` and durations are seconds, as
Prometheus expects.

The runtime also forwards the core's log records to Python logging. It
becomes the process default, so it must be installed before the
first Temporal client of the process is created.
"""

from __future__ import annotations

import logging
import socket
import urllib.error
import urllib.request
from collections.abc import Mapping

from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    PrometheusConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)

_log = logging.getLogger(__name__)

#: How long a scrape waits for the SDK's exporter.
SCRAPE_TIMEOUT_SECONDS = 2.0


class TemporalMetrics:
    """The installed runtime's exporter; :meth:`exposition` reads it.

    Args:
        address: ``host:port`` the SDK's exporter listens on (private: loopback).
    """

    def __init__(self, address: str) -> None:
        self.address = address

    def exposition(self) -> bytes:
        """The SDK's metrics in the Prometheus text format (empty if unreachable)."""
        try:
            with urllib.request.urlopen(
                f"http://{self.address}/metrics", timeout=SCRAPE_TIMEOUT_SECONDS
            ) as response:
                body: bytes = response.read()
        except (OSError, urllib.error.URLError) as error:
            _log.debug("Temporal SDK metrics not readable at %s: %s", self.address, error)
            return b""
        return body if body.endswith(b"\n") or not body else body + b"\n"


def _free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def install_temporal_runtime(
    service: str, *, address: str | None = None, global_tags: Mapping[str, str] | None = None
) -> TemporalMetrics:
    """Make a runtime exporting Prometheus metrics the process's default Temporal runtime.

    Args:
        service: Added as the ``service`` label of every SDK metric.
        address: Where the SDK's exporter listens (default: a free loopback port).
        global_tags: More labels on every SDK metric.

    Raises:
        RuntimeError: the process already created its default runtime (a client
            was connected before this call).
    """
    tags = {"service": service, **(global_tags or {})}
    attempts = 1 if address else 3  # a free port may be taken between probe and bind
    last_error: Exception | None = None
    for _ in range(attempts):
        bind = address or f"127.0.0.1:{_free_loopback_port()}"
        try:
            runtime = Runtime(
                telemetry=TelemetryConfig(
                    metrics=PrometheusConfig(
                        bind_address=bind,
                        counters_total_suffix=True,
                        unit_suffix=True,
                        durations_as_seconds=True,
                    ),
                    global_tags=tags,
                    # The core's own warnings become records of our logging (JSON
                    # lines like the rest) instead of raw lines on stderr.
                    logging=LoggingConfig(
                        filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
                        forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")),
                    ),
                )
            )
        except Exception as error:  # the core reports a busy port as a plain error
            last_error = error
            continue
        Runtime.set_default(runtime, error_if_already_set=True)
        return TemporalMetrics(bind)
    raise RuntimeError(
        f"cannot export Temporal SDK metrics on {address or 'loopback'}: {last_error}"
    )
