"""``bazel run //tools/images:NAME``: build one service image, offline.

Writes an OCI layout (``dist/images/oci``, one tag per image, shared blobs) and a
docker-archive tarball (``dist/images/NAME.tar``, for ``docker load``). The code
layer is this binary's own runfiles: Bazel already resolved which modules the
service imports, so the image holds exactly those, on the same import roots.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from stigmer_images import base, layers, oci
from stigmer_images.spec import (
    DATA_DIR,
    HEALTHCHECK,
    IMAGES,
    USER_ID,
    ImageSpec,
)

WORKSPACE = "stigmer_repo"
HEALTHCHECK_SOURCE = Path(__file__).with_name("healthcheck.py")


@dataclass(frozen=True)
class BuiltImage:
    layout: Path
    tag: str
    archive: Path

    @property
    def reference(self) -> str:
        return f"{self.layout}:{self.tag}"


def runfiles_root() -> Path:
    configured = os.environ.get("RUNFILES_DIR")
    if configured:
        return Path(configured)
    here = Path(__file__).absolute()
    for parent in here.parents:
        if parent.name.endswith(".runfiles"):
            return parent
    raise SystemExit("image build: run me with `bazel run` (no runfiles found)")


def import_roots(runfiles: Path) -> list[str]:
    """This process's import roots inside the runfiles, as paths in the image."""
    workspace = runfiles / WORKSPACE
    roots: list[str] = []
    for entry in sys.path:
        path = Path(entry)
        try:
            relative = path.relative_to(workspace)
        except ValueError:
            continue
        mapped = f"{layers.CODE_ROOT}/{relative}".rstrip("/.")
        if mapped not in roots:
            roots.append(mapped)
    return roots


def version() -> tuple[str, str]:
    workspace = os.environ.get("BUILD_WORKSPACE_DIRECTORY", ".")

    def git(*args: str) -> str:
        result = subprocess.run(
            ["git", "-C", workspace, *args], capture_output=True, text=True, check=False
        )
        return result.stdout.strip() if result.returncode == 0 else ""

    revision = git("rev-parse", "HEAD") or "unknown"
    return git("describe", "--tags", "--always", "--dirty") or "dev", revision


def closure_files(runfiles: Path, closure: str) -> list[tuple[Path, str]]:
    """The service's files (path in runfiles, path in the image), from its listing."""
    workspace = runfiles / WORKSPACE
    listing = (workspace / closure).read_text().split()
    return [(workspace / relative, f"{layers.CODE_ROOT}/{relative}") for relative in listing]


def build(spec: ImageSpec, out: Path, tag: str, closure: str) -> BuiltImage:
    out.mkdir(parents=True, exist_ok=True)
    runfiles = runfiles_root()
    roots = import_roots(runfiles)
    files = closure_files(runfiles, closure)
    python_path = ":".join([*roots, layers.SITE_PACKAGES])
    release, revision = version()
    layout = out / "oci"
    image_tag = f"{spec.name}-{tag}"
    with tempfile.TemporaryDirectory(dir=out) as scratch:
        code = Path(scratch) / "code.tar"
        layers.write_code_layer(
            code,
            files,
            extra=[(b"#!/usr/bin/python3\n" + HEALTHCHECK_SOURCE.read_bytes(), HEALTHCHECK, 0o755)],
        )
        runtime = _runtime(layout, Path(scratch))
        reference = oci.tag(layout, runtime, image_tag)
        oci.add_layer(reference, code, f"{spec.name} code")
    env = {
        "PYTHONPATH": python_path,
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "STIGMER_LOG_FORMAT": "json",
        **spec.env,
    }
    oci.configure(
        reference,
        user=f"{USER_ID}:{USER_ID}",
        entrypoint=["/usr/bin/python3", "-m", spec.module],
        env=env,
        workdir=DATA_DIR,
        ports=spec.ports,
        labels=spec.labels(release, revision),
        volumes=(DATA_DIR,) if DATA_DIR in spec.env.values() else (),
    )
    oci.collect_garbage(layout)
    archive = out / f"{spec.name}.tar"
    oci.export_docker_archive(reference, archive, f"{spec.reference}:{tag}")
    return BuiltImage(layout=layout, tag=image_tag, archive=archive)


def _runtime(layout: Path, scratch: Path) -> str:
    """The tag of base + packages in ``layout``, built once for every image."""
    base_layer = base.base_layer()
    key = layers.packages_key(base_layer.name)
    runtime_tag = f"runtime-{key}"
    if not oci.has_tag(layout, runtime_tag):
        packages = scratch / "packages.tar"
        layers.write_packages_layer(packages)
        reference = oci.new_image(layout, runtime_tag)
        oci.add_layer(reference, base_layer, "Debian minbase with python3")
        oci.add_layer(reference, packages, "Python packages")
    return runtime_tag


def default_out() -> Path:
    workspace = os.environ.get("BUILD_WORKSPACE_DIRECTORY")
    return Path(workspace or ".") / "dist" / "images"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", required=True, choices=sorted(IMAGES))
    parser.add_argument("--out", type=Path, default=None, help="output directory")
    parser.add_argument("--tag", default="dev", help="image tag (default: dev)")
    parser.add_argument("--closure", required=True, help="the service's runfiles listing")
    args = parser.parse_args(argv)
    try:
        built = build(
            IMAGES[args.image], (args.out or default_out()).absolute(), args.tag, args.closure
        )
    except (base.BaseImageError, oci.OciToolError) as error:
        print(f"image build: {error}", file=sys.stderr)
        return 1
    print(f"OCI layout: {built.layout} (tag {built.tag})")
    print(f"docker-archive: {built.archive}  (docker load -i {built.archive})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
