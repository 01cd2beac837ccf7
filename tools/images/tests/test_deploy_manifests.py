"""The compose file and the Kubernetes manifests are valid and match the images.

Validated against real schemas, offline: the Compose specification's schema as
vendored by check-jsonschema, and Kubernetes' own schemas from kubernetes-validate.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from stigmer_images.spec import IMAGES, USER_ID

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
KUBERNETES_VERSION = "1.30"


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def _kubernetes_documents() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                yield path.name, document


def _compose_schema() -> dict[str, Any]:
    vendor = resources.files("check_jsonschema") / "builtin_schemas" / "vendor"
    schema: dict[str, Any] = json.loads((vendor / "compose-spec.json").read_text())
    return schema


def test_compose_file_follows_the_compose_specification() -> None:
    jsonschema.validate(_compose(), _compose_schema())


def test_the_compose_schema_check_can_fail() -> None:
    broken = _compose()
    broken["services"]["stigmer-server"]["healthcheck"]["retries"] = "six"
    broken["services"]["stigmer-server"]["restart_policy"] = "always"  # not a service key
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, _compose_schema())


def test_compose_services_use_the_images_and_their_health_checks() -> None:
    services = _compose()["services"]
    for name, spec in IMAGES.items():
        service = services[name]
        assert service["image"] == f"{spec.reference}:dev"
        assert service["healthcheck"]["test"][1:] == [
            "/opt/stigmer/bin/healthcheck",
            spec.health_target,
        ]
        published = {int(port.split(":")[1]) for port in service.get("ports", [])}
        assert published == set(spec.published)


@pytest.mark.parametrize(
    "name,document", list(_kubernetes_documents()), ids=lambda value: str(value)[:40]
)
def test_kubernetes_manifests_follow_the_kubernetes_schemas(
    name: str, document: dict[str, Any]
) -> None:
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_the_kubernetes_schema_check_can_fail() -> None:
    _, document = next(item for item in _kubernetes_documents() if item[1]["kind"] == "StatefulSet")
    document["spec"]["replicas"] = "one"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_kubernetes_workloads_run_the_images_as_their_user() -> None:
    workloads = {
        document["metadata"]["name"]: document
        for _, document in _kubernetes_documents()
        if document["kind"] in ("Deployment", "StatefulSet")
    }
    assert set(workloads) == set(IMAGES)
    for name, spec in IMAGES.items():
        pod = workloads[name]["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsUser"] == USER_ID
        (container,) = pod["containers"]
        assert container["image"] == f"{spec.reference}:dev"
        assert {port["containerPort"] for port in container["ports"]} == set(spec.ports)
        assert container["envFrom"] == [{"configMapRef": {"name": "stigmer-config"}}]
