"""Metrics, health and logs shared by every Stigmer process.

One call (:func:`setup_observability`) gives a process JSON logs, the Temporal
SDK's metrics and ours on ``/metrics``, and ``/healthz`` + ``/readyz`` (see
docs/observability.md).

The names below load on first use: workflow modules import pieces of this
package (the task interceptor, the log context), and Temporal's sandbox
re-imports workflow modules with their imports, where eagerly importing
prometheus-client would fail validation.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "ENVIRONMENT_HELP": "stigmer_observability.config",
    "ObservabilityConfig": "stigmer_observability.config",
    "ObservabilityConfigError": "stigmer_observability.config",
    "add_arguments": "stigmer_observability.config",
    "ServerCallMetrics": "stigmer_observability.grpc_metrics",
    "ServerMetricsInterceptor": "stigmer_observability.grpc_metrics",
    "client_metrics_interceptors": "stigmer_observability.grpc_metrics",
    "bound_execution": "stigmer_observability.log_context",
    "Readiness": "stigmer_observability.readiness",
    "TemporalProbe": "stigmer_observability.readiness",
    "watch_workers": "stigmer_observability.readiness",
    "Observability": "stigmer_observability.setup",
    "setup_observability": "stigmer_observability.setup",
    "ExecutionLogInterceptor": "stigmer_observability.task_interceptor",
}

__all__ = [
    "ENVIRONMENT_HELP",
    "ExecutionLogInterceptor",
    "Observability",
    "ObservabilityConfig",
    "ObservabilityConfigError",
    "Readiness",
    "ServerCallMetrics",
    "ServerMetricsInterceptor",
    "TemporalProbe",
    "add_arguments",
    "bound_execution",
    "client_metrics_interceptors",
    "setup_observability",
    "watch_workers",
]

if TYPE_CHECKING:
    from stigmer_observability.config import ENVIRONMENT_HELP as ENVIRONMENT_HELP
    from stigmer_observability.config import ObservabilityConfig as ObservabilityConfig
    from stigmer_observability.config import ObservabilityConfigError as ObservabilityConfigError
    from stigmer_observability.config import add_arguments as add_arguments
    from stigmer_observability.grpc_metrics import ServerCallMetrics as ServerCallMetrics
    from stigmer_observability.grpc_metrics import (
        ServerMetricsInterceptor as ServerMetricsInterceptor,
    )
    from stigmer_observability.grpc_metrics import (
        client_metrics_interceptors as client_metrics_interceptors,
    )
    from stigmer_observability.log_context import bound_execution as bound_execution
    from stigmer_observability.readiness import Readiness as Readiness
    from stigmer_observability.readiness import TemporalProbe as TemporalProbe
    from stigmer_observability.readiness import watch_workers as watch_workers
    from stigmer_observability.setup import Observability as Observability
    from stigmer_observability.setup import setup_observability as setup_observability
    from stigmer_observability.task_interceptor import (
        ExecutionLogInterceptor as ExecutionLogInterceptor,
    )


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'stigmer_observability' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
