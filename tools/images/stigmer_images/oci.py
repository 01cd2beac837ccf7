"""The OCI tools Debian ships, driven step by step: umoci writes the layout,
skopeo exports a docker-archive tarball for `docker load` / `podman load`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from stigmer_images import system


class OciToolError(RuntimeError):
    """umoci or skopeo is missing or refused a step."""


def _run(*command: str) -> None:
    tool = system.which(command[0])
    if tool is None:
        raise OciToolError(f"{command[0]} is not installed (apt-get install {command[0]})")
    result = subprocess.run(
        [tool, *command[1:]], capture_output=True, text=True, env=system.environment(), check=False
    )
    if result.returncode != 0:
        raise OciToolError(f"{' '.join(command[:3])} failed: {result.stderr.strip()}")


def new_image(layout: Path, tag: str) -> str:
    """An empty image ``tag`` in ``layout`` (created if needed); its reference."""
    if not (layout / "index.json").exists():
        _run("umoci", "init", "--layout", str(layout))
    reference = f"{layout}:{tag}"
    _run("umoci", "new", "--image", reference)
    return reference


def has_tag(layout: Path, tag: str) -> bool:
    index = layout / "index.json"
    if not index.exists():
        return False
    manifests = json.loads(index.read_text()).get("manifests", [])
    names = {m.get("annotations", {}).get("org.opencontainers.image.ref.name") for m in manifests}
    return tag in names


def tag(layout: Path, existing: str, new: str) -> str:
    """``new`` points at the same image as ``existing``; its reference."""
    _run("umoci", "tag", "--image", f"{layout}:{existing}", new)
    return f"{layout}:{new}"


def add_layer(reference: str, layer: Path, comment: str) -> None:
    _run(
        "umoci",
        "raw",
        "add-layer",
        "--history.comment",
        comment,
        "--history.created_by",
        "stigmer image build",
        "--image",
        reference,
        str(layer),
    )


def configure(
    reference: str,
    *,
    user: str,
    entrypoint: list[str],
    env: dict[str, str],
    workdir: str,
    ports: tuple[int, ...],
    labels: dict[str, str],
    volumes: tuple[str, ...],
) -> None:
    args = [
        "umoci",
        "config",
        "--image",
        reference,
        "--os",
        "linux",
        "--architecture",
        "amd64",
        "--author",
        "Stigmer",
        "--config.user",
        user,
        "--config.workingdir",
        workdir,
        "--config.stopsignal",
        "SIGTERM",
    ]
    for part in entrypoint:
        args += ["--config.entrypoint", part]
    for key, value in env.items():
        args += ["--config.env", f"{key}={value}"]
    for port in ports:
        args += ["--config.exposedports", f"{port}/tcp"]
    for key, value in labels.items():
        args += ["--config.label", f"{key}={value}"]
    for volume in volumes:
        args += ["--config.volume", volume]
    _run(*args)


def collect_garbage(layout: Path) -> None:
    _run("umoci", "gc", "--layout", str(layout))


def export_docker_archive(reference: str, archive: Path, name: str) -> None:
    archive.unlink(missing_ok=True)
    _run(
        "skopeo",
        "--insecure-policy",
        "copy",
        "--quiet",
        f"oci:{reference}",
        f"docker-archive:{archive}:{name}",
    )


def unpack(reference: str, bundle: Path) -> None:
    """A runtime bundle (rootfs + config.json) for runc/crun."""
    _run("umoci", "unpack", "--image", reference, str(bundle))
