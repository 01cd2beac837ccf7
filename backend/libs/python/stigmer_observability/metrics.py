"""Stigmer's own Prometheus metrics: one place for every name and label.

Instruments are module-level, as ``prometheus_client`` intends (like loggers,
they are names, not state a caller configures); they live in
:data:`REGISTRY`, the registry the process's ``/metrics`` serves. The Temporal
SDK's metrics (``temporal_*``) are served next to them (see
:mod:`.temporal_metrics`).

Conventions: counters end in ``_total``, durations are ``_seconds``
histograms, labels are low-cardinality (kinds, phases, methods, queues; never
an execution id).
"""

from __future__ import annotations

from temporalio import workflow

# Workflow code imports this module inside the sandbox (progress reports): the
# library itself must come from the host (it is not sandbox-safe, and one
# registry per process is the point).
with workflow.unsafe.imports_passed_through():
    from prometheus_client import (
        CollectorRegistry,
        Counter,
        Gauge,
        Histogram,
        PlatformCollector,
        ProcessCollector,
    )

REGISTRY = CollectorRegistry(auto_describe=True)
# CPU, memory, open files of the process and the Python version, as every exporter has.
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

#: Task and RPC latencies: 1 ms to 5 min.
LATENCY_BUCKETS = (
    0.001,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    300.0,
)

BUILD_INFO = Gauge(
    "stigmer_build_info",
    "Always 1; labels name the process.",
    ["service", "version"],
    registry=REGISTRY,
)

EXECUTIONS_STARTED = Counter(
    "stigmer_executions_started_total",
    "Executions whose orchestration workflow this server started.",
    ["kind"],
    registry=REGISTRY,
)
EXECUTIONS_FINISHED = Counter(
    "stigmer_executions_finished_total",
    "Executions that reached a terminal phase, by phase.",
    ["kind", "phase"],
    registry=REGISTRY,
)

TASK_DURATION = Histogram(
    "stigmer_task_duration_seconds",
    "Duration of DSL tasks that ended (from their progress entries), by task kind and phase.",
    ["task_kind", "phase"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)

PROGRESS_REPORTS = Counter(
    "stigmer_progress_reports_total",
    "Progress reports (UpdateStatus) the engine sent to stigmer-server, by result.",
    ["result"],
    registry=REGISTRY,
)

AGENT_MODEL_CALLS = Counter(
    "stigmer_agent_model_calls_total",
    "Model calls of agent executions in this agent-runner, by provider and result (ok, error).",
    ["provider", "result"],
    registry=REGISTRY,
)
AGENT_TOOL_CALLS = Counter(
    "stigmer_agent_tool_calls_total",
    "Tool calls of agent executions that got a result, by result (success, error).",
    ["result"],
    registry=REGISTRY,
)
AGENT_TOKENS = Counter(
    "stigmer_agent_tokens_total",
    "Tokens of agent model calls as the provider reported them, by direction (input, output).",
    ["direction"],
    registry=REGISTRY,
)

GRPC_SERVER_HANDLED = Counter(
    "grpc_server_handled_total",
    "RPCs completed by this server, by method and status code.",
    ["grpc_service", "grpc_method", "grpc_code"],
    registry=REGISTRY,
)
GRPC_SERVER_HANDLING = Histogram(
    "grpc_server_handling_seconds",
    "Time this server took to answer an RPC (streams: until the stream ended).",
    ["grpc_service", "grpc_method"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
GRPC_CLIENT_HANDLED = Counter(
    "grpc_client_handled_total",
    "RPCs this process made to stigmer-server, by method and status code.",
    ["grpc_service", "grpc_method", "grpc_code"],
    registry=REGISTRY,
)
GRPC_CLIENT_HANDLING = Histogram(
    "grpc_client_handling_seconds",
    "Time an RPC to stigmer-server took, as this client saw it.",
    ["grpc_service", "grpc_method"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)

WORKER_POLLING = Gauge(
    "stigmer_worker_polling",
    "1 while this process's Temporal worker polls the task queue, else 0.",
    ["task_queue"],
    registry=REGISTRY,
)
READINESS_CHECK = Gauge(
    "stigmer_readiness_check",
    "1 when the named readiness check passes, else 0 (as of the last /readyz or scrape).",
    ["check"],
    registry=REGISTRY,
)


def split_method(full_method: str) -> tuple[str, str]:
    """``/pkg.Service/Method`` as (``pkg.Service``, ``Method``)."""
    _, _, rest = full_method.partition("/")
    service, _, method = rest.rpartition("/")
    return service or "unknown", method or full_method
