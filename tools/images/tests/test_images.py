"""The service images, built by their `bazel run` targets and started from their
unpacked root filesystem.

Needs root (debootstrap builds the base once, cached), Debian's umoci, skopeo
and runc. Where they are missing the test skips and says which; under CI=true
that is a failure, because CI machines have them (tools/setup.sh installs them).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from stigmer_images import system
from stigmer_images.spec import DATA_DIR, HEALTHCHECK, IMAGES, SERVER, USER_ID, ImageSpec

TOOLS = ("debootstrap", "umoci", "skopeo", "runc")
BUILD_TIMEOUT_SECONDS = 1500
HEALTH_DEADLINE_SECONDS = 120


def _missing() -> str:
    if os.geteuid() != 0:
        return "building and running images needs root"
    absent = [tool for tool in TOOLS if system.which(tool) is None]
    return f"not installed: {', '.join(absent)} (tools/setup.sh installs them)" if absent else ""


@pytest.fixture(scope="module", autouse=True)
def _requirements() -> None:
    reason = _missing()
    if reason and os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"image tests cannot run under CI: {reason}")
    if reason:
        pytest.skip(reason)


@dataclass(frozen=True)
class Layout:
    root: Path

    def _blob(self, digest: str) -> Any:
        algorithm, value = digest.split(":")
        return json.loads((self.root / "blobs" / algorithm / value).read_text())

    def manifest(self, tag: str) -> Any:
        index = json.loads((self.root / "index.json").read_text())
        (entry,) = [
            item
            for item in index["manifests"]
            if item["annotations"]["org.opencontainers.image.ref.name"] == tag
        ]
        return self._blob(entry["digest"])

    def config(self, tag: str) -> Any:
        return self._blob(self.manifest(tag)["config"]["digest"])


def _runfile(relative: str) -> Path:
    base = Path(os.environ.get("RUNFILES_DIR", "")) / "stigmer_repo"
    return base / relative


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("images")
    for name in IMAGES:
        binary = _runfile(f"tools/images/{name}")
        if not binary.exists():
            pytest.skip(f"{binary} is not built: run under `bazel test //tools/images:images_test`")
        result = subprocess.run(
            [str(binary), "--out", str(out), "--tag", "test"],
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_SECONDS,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert f"docker-archive: {out / f'{name}.tar'}" in result.stdout
    yield out


@pytest.mark.parametrize("spec", list(IMAGES.values()), ids=list(IMAGES))
def test_image_config(built: Path, spec: ImageSpec) -> None:
    config = Layout(built / "oci").config(f"{spec.name}-test")
    settings = config["config"]
    assert config["os"] == "linux" and config["architecture"] == "amd64"
    assert settings["User"] == f"{USER_ID}:{USER_ID}"
    assert settings["Entrypoint"] == ["/usr/bin/python3", "-m", spec.module]
    assert settings["WorkingDir"] == DATA_DIR
    assert set(settings["ExposedPorts"]) == {f"{port}/tcp" for port in spec.ports}
    labels = settings["Labels"]
    assert labels["org.opencontainers.image.title"] == spec.title
    assert labels["org.stigmer.healthcheck"] == f"{HEALTHCHECK} {spec.health_target}"
    assert len(labels["org.opencontainers.image.revision"]) == 40
    env = dict(item.split("=", 1) for item in settings["Env"])
    assert env["PYTHONPATH"].endswith("/opt/stigmer/site-packages")
    for key, value in spec.env.items():
        assert env[key] == value
    # base, packages, code: the first two are shared by every image.
    assert len(Layout(built / "oci").manifest(f"{spec.name}-test")["layers"]) == 3


def test_images_share_their_base_and_package_layers(built: Path) -> None:
    layout = Layout(built / "oci")
    stacks = [
        [layer["digest"] for layer in layout.manifest(f"{name}-test")["layers"]] for name in IMAGES
    ]
    assert all(stack[:2] == stacks[0][:2] for stack in stacks)
    assert len({stack[2] for stack in stacks}) == len(stacks)


def _code_layer_names(built: Path, name: str) -> set[str]:
    layout = Layout(built / "oci")
    digest = layout.manifest(f"{name}-test")["layers"][2]["digest"]
    algorithm, value = digest.split(":")
    with tarfile.open(built / "oci" / "blobs" / algorithm / value) as layer:
        return set(layer.getnames())


def test_code_layer_is_the_service_closure(built: Path) -> None:
    server = _code_layer_names(built, "stigmer-server")
    runner = _code_layer_names(built, "workflow-runner")
    module = "opt/stigmer/app/backend/services/stigmer-server/stigmer_server/__main__.py"
    engine = "opt/stigmer/app/backend/services/workflow-runner/workflow_runner/__main__.py"
    assert module in server and engine not in server
    assert engine in runner and module not in runner
    assert any(name.endswith("_pb2.py") for name in server)  # generated protos travel too
    assert HEALTHCHECK.lstrip("/") in server


@pytest.mark.parametrize("spec", list(IMAGES.values()), ids=list(IMAGES))
def test_docker_archive_names_the_image(built: Path, spec: ImageSpec) -> None:
    with tarfile.open(built / f"{spec.name}.tar") as archive:
        manifest = json.load(archive.extractfile("manifest.json"))  # type: ignore[arg-type]
    # skopeo writes the fully qualified name, which `docker load` shows as given.
    assert manifest[0]["RepoTags"] == [f"docker.io/{spec.reference}:test"]


def _runc(*args: str) -> list[str]:
    runc = system.which("runc")
    assert runc is not None
    return [runc, *args]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _bundle(built: Path, tmp_path: Path, port: int, health_port: int) -> Path:
    bundle = tmp_path / "bundle"
    subprocess.run(
        [
            str(system.which("umoci")),
            "unpack",
            "--image",
            f"{built / 'oci'}:{SERVER.name}-test",
            str(bundle),
        ],
        check=True,
        capture_output=True,
    )
    data = tmp_path / "data"
    data.mkdir()
    os.chown(data, USER_ID, USER_ID)
    config_path = bundle / "config.json"
    config = json.loads(config_path.read_text())
    config["root"]["path"] = str(bundle / "rootfs")
    # Host networking (the test reaches the port) and no cgroup namespace (this
    # machine's cgroups are hybrid); the data volume is a host directory, as a
    # deployment mounts one.
    namespaces = config["linux"]["namespaces"]
    config["linux"]["namespaces"] = [
        n for n in namespaces if n["type"] not in ("network", "cgroup")
    ]
    config["mounts"] = [m for m in config["mounts"] if m["destination"] != DATA_DIR] + [
        {"destination": DATA_DIR, "type": "bind", "source": str(data), "options": ["rbind", "rw"]}
    ]
    overrides = {
        "STIGMER_GRPC_ADDRESS": f"127.0.0.1:{port}",
        "STIGMER_HEALTH_ADDRESS": f"127.0.0.1:{health_port}",
        "STIGMER_METRICS_ADDRESS": f"127.0.0.1:{_free_port()}",
        "TEMPORAL_HOST_PORT": "127.0.0.1:1",
    }
    env = [e for e in config["process"]["env"] if e.split("=", 1)[0] not in overrides]
    config["process"]["env"] = [*env, *(f"{key}={value}" for key, value in overrides.items())]
    config["process"]["terminal"] = False
    config_path.write_text(json.dumps(config))
    return bundle


def test_server_image_starts_and_answers_its_health_check(built: Path, tmp_path: Path) -> None:
    port, health_port = _free_port(), _free_port()
    bundle = _bundle(built, tmp_path, port, health_port)
    liveness = SERVER.health_target.replace(":3000/", f":{health_port}/")
    name = f"stigmer-image-test-{os.getpid()}"
    log = (tmp_path / "server.log").open("w")
    container = subprocess.Popen(
        _runc("run", "--bundle", str(bundle), name), stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + HEALTH_DEADLINE_SECONDS
        answered = False
        while time.monotonic() < deadline and container.poll() is None:
            check = subprocess.run(
                _runc("exec", name, HEALTHCHECK, liveness),
                capture_output=True,
                check=False,
            )
            if check.returncode == 0:
                answered = True
                break
            time.sleep(1)
        output = (tmp_path / "server.log").read_text()
        assert answered, f"the server image never answered its health check:\n{output[-3000:]}"
        # It runs as the image's user and wrote its store on the mounted volume.
        state = subprocess.run(
            _runc("exec", name, "id", "-u"), capture_output=True, text=True, check=True
        )
        assert state.stdout.strip() == str(USER_ID)
        assert any((tmp_path / "data").iterdir())
        grpc_health = subprocess.run(
            _runc("exec", name, HEALTHCHECK, f"grpc://127.0.0.1:{port}"),
            capture_output=True,
            check=False,
        )
        assert grpc_health.returncode == 0
        # The health check is a real check: a port nobody serves is unhealthy.
        wrong = subprocess.run(
            _runc("exec", name, HEALTHCHECK, f"grpc://127.0.0.1:{_free_port()}"),
            capture_output=True,
            check=False,
        )
        assert wrong.returncode == 1
    finally:
        subprocess.run(_runc("kill", name, "TERM"), capture_output=True, check=False)
        try:
            container.wait(timeout=30)
        except subprocess.TimeoutExpired:
            subprocess.run(_runc("kill", name, "KILL"), capture_output=True, check=False)
            container.wait(timeout=30)
        subprocess.run(_runc("delete", "--force", name), capture_output=True, check=False)
        log.close()
