"""What one service image is: its entry point, ports, environment and labels.

The three services are declared here, in one place, so the Bazel targets, the
compose file and the Kubernetes manifests (checked by a test against these)
agree on names, ports and the health check.
"""

from __future__ import annotations

from dataclasses import dataclass, field

USER_ID = 10001
USER_NAME = "stigmer"
APP_ROOT = "/opt/stigmer"
DATA_DIR = "/var/lib/stigmer"
HEALTHCHECK = f"{APP_ROOT}/bin/healthcheck"
REPOSITORY = "stigmer"
SOURCE_URL = "https://github.com/stigmer/stigmer"


@dataclass(frozen=True)
class ImageSpec:
    """One service image."""

    name: str
    module: str
    title: str
    ports: tuple[int, ...]
    env: dict[str, str] = field(default_factory=dict)
    health_target: str = ""
    #: What a compose file publishes on the host (the API, the event endpoint).
    published: tuple[int, ...] = ()

    @property
    def reference(self) -> str:
        return f"{REPOSITORY}/{self.name}"

    def labels(self, version: str, revision: str) -> dict[str, str]:
        return {
            "org.opencontainers.image.title": self.title,
            "org.opencontainers.image.source": SOURCE_URL,
            "org.opencontainers.image.version": version,
            "org.opencontainers.image.revision": revision,
            "org.opencontainers.image.licenses": "Apache-2.0",
            "org.stigmer.healthcheck": f"{HEALTHCHECK} {self.health_target}",
        }


METRICS_PORT = 9090
HEALTH_PORT = 3000
# Every service serves /metrics and /healthz + /readyz (stigmer_observability);
# in a container they listen on every interface so they can be scraped and probed.
OBSERVABILITY_ENV = {
    "STIGMER_METRICS_ADDRESS": f"0.0.0.0:{METRICS_PORT}",
    "STIGMER_HEALTH_ADDRESS": f"0.0.0.0:{HEALTH_PORT}",
}
LIVENESS_TARGET = f"http://127.0.0.1:{HEALTH_PORT}/healthz"

SERVER = ImageSpec(
    name="stigmer-server",
    module="stigmer_server",
    title="Stigmer API server (gRPC, RocksDB, orchestration worker)",
    ports=(7234, METRICS_PORT, HEALTH_PORT),
    env={"STIGMER_GRPC_ADDRESS": "0.0.0.0:7234", "STIGMER_DATA_DIR": DATA_DIR, **OBSERVABILITY_ENV},
    health_target=LIVENESS_TARGET,
    published=(7234,),
)

WORKFLOW_RUNNER = ImageSpec(
    name="workflow-runner",
    module="workflow_runner",
    title="Stigmer workflow runner (Serverless Workflow DSL engine)",
    ports=(7235, METRICS_PORT, HEALTH_PORT),
    env={"STIGMER_EVENTS_ADDRESS": "0.0.0.0:7235", **OBSERVABILITY_ENV},
    health_target=LIVENESS_TARGET,
    published=(7235,),
)

AGENT_RUNNER = ImageSpec(
    name="agent-runner",
    module="agent_runner",
    title="Stigmer agent runner (agents on LangGraph, threads in a checkpointer)",
    ports=(METRICS_PORT, HEALTH_PORT),
    env={"STIGMER_AGENT_RUNNER_DATA_DIR": DATA_DIR, **OBSERVABILITY_ENV},
    health_target=LIVENESS_TARGET,
)

IMAGES = {spec.name: spec for spec in (SERVER, WORKFLOW_RUNNER, AGENT_RUNNER)}
