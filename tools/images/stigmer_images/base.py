"""The base layer: a minimal Debian root filesystem with Python, built locally.

``debootstrap`` builds it from Debian's archive (the one network source these
machines have), once: the layer tar is cached by suite, packages and recipe
version, so later builds and tests reuse it. The suite is the one whose
``python3`` matches the virtualenv's, because the image carries the venv's
compiled wheels.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from stigmer_images import system
from stigmer_images.spec import DATA_DIR, USER_ID, USER_NAME

RECIPE = 1
MIRROR = os.environ.get("STIGMER_DEBIAN_MIRROR", "http://deb.debian.org/debian")
PACKAGES = ("python3-minimal", "ca-certificates", "tzdata")
# The suite whose python3 has the venv's ABI, and that Python's standard library.
SUITES = {
    (3, 11): ("bookworm", "libpython3.11-stdlib"),
    (3, 13): ("trixie", "libpython3.13-stdlib"),
}
# Left out of the layer: what a running service never reads.
PRUNED = (
    "usr/share/doc",
    "usr/share/man",
    "usr/share/info",
    "usr/share/locale",
    "var/lib/apt/lists",
    "var/cache/apt",
    "var/cache/debconf",
    "var/log",
)


class BaseImageError(RuntimeError):
    """The base root filesystem cannot be built here."""


def cache_dir() -> Path:
    # Not under HOME: a test's HOME is its scratch directory, and the base layer
    # (a Debian bootstrap, minutes of work) is meant to outlive test runs.
    configured = os.environ.get("STIGMER_IMAGE_CACHE")
    root = Path(configured) if configured else Path("/var/cache/stigmer/images")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except PermissionError as error:
        raise BaseImageError(f"cannot create {root} (set STIGMER_IMAGE_CACHE): {error}") from None
    return root


def suite() -> tuple[str, str]:
    """The Debian suite and standard-library package for this interpreter."""
    version = sys.version_info[:2]
    if version not in SUITES:
        raise BaseImageError(
            f"no Debian suite ships Python {version[0]}.{version[1]} for the image "
            f"(known: {', '.join(f'{a}.{b}' for a, b in SUITES)})"
        )
    return SUITES[version]


def base_layer() -> Path:
    """The cached base layer tar, built on first use."""
    name, stdlib = suite()
    packages = [*PACKAGES, stdlib]
    layer = cache_dir() / f"base-{name}-r{RECIPE}.tar"
    if layer.exists():
        return layer
    if os.geteuid() != 0:
        raise BaseImageError("building the base image needs root (debootstrap); run as root once")
    debootstrap = system.which("debootstrap")
    if debootstrap is None:
        raise BaseImageError("debootstrap is not installed (apt-get install debootstrap)")
    with tempfile.TemporaryDirectory(dir=cache_dir()) as scratch:
        rootfs = Path(scratch) / "rootfs"
        command = [
            debootstrap,
            "--variant=minbase",
            f"--include={','.join(packages)}",
            name,
            str(rootfs),
            MIRROR,
        ]
        result = subprocess.run(
            command, capture_output=True, text=True, env=system.environment(), check=False
        )
        if result.returncode != 0:
            tail = (result.stdout + result.stderr).strip().splitlines()[-5:]
            raise BaseImageError("debootstrap failed: " + " | ".join(tail))
        _customise(rootfs)
        partial = layer.with_suffix(".partial")
        _write_layer(rootfs, partial)
        partial.rename(layer)
    return layer


def _customise(rootfs: Path) -> None:
    for relative in PRUNED:
        target = rootfs / relative
        if target.is_dir():
            shutil.rmtree(target)
            target.mkdir(parents=True)
    with (rootfs / "etc/passwd").open("a") as passwd:
        passwd.write(f"{USER_NAME}:x:{USER_ID}:{USER_ID}:Stigmer:{DATA_DIR}:/usr/sbin/nologin\n")
    with (rootfs / "etc/group").open("a") as group:
        group.write(f"{USER_NAME}:x:{USER_ID}:\n")
    data = rootfs / DATA_DIR.lstrip("/")
    data.mkdir(parents=True, exist_ok=True)
    os.chown(data, USER_ID, USER_ID)


def _write_layer(rootfs: Path, target: Path) -> None:
    # Device nodes and the kernel's file systems belong to the runtime, not the image.
    skipped = {"dev", "proc", "sys", "run", "tmp"}

    def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        top = info.name.split("/", 2)[1] if info.name.count("/") else ""
        if top in skipped and info.name.count("/") > 1:
            return None
        if info.ischr() or info.isblk() or info.isfifo():
            return None
        return info

    with tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as tar:
        tar.add(rootfs, arcname=".", filter=keep)
