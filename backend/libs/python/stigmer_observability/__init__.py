"""Metrics, health and logs shared by every Stigmer process.

One call (:func:`setup_observability`) gives a process JSON logs, the Temporal
SDK's metrics and ours on ``/metrics``, and ``/healthz`` + ``/readyz``.
"""

from stigmer_observability.config import (
    ENVIRONMENT_HELP,
    ObservabilityConfig,
    ObservabilityConfigError,
    add_arguments,
)
from stigmer_observability.grpc_metrics import ServerMetricsInterceptor, client_metrics_interceptors
from stigmer_observability.log_context import bound_execution
from stigmer_observability.readiness import Readiness, TemporalProbe, watch_workers
from stigmer_observability.setup import Observability, setup_observability
from stigmer_observability.task_interceptor import ExecutionLogInterceptor

__all__ = [
    "ENVIRONMENT_HELP",
    "ExecutionLogInterceptor",
    "Observability",
    "ObservabilityConfig",
    "ObservabilityConfigError",
    "Readiness",
    "ServerMetricsInterceptor",
    "TemporalProbe",
    "add_arguments",
    "bound_execution",
    "client_metrics_interceptors",
    "setup_observability",
    "watch_workers",
]
