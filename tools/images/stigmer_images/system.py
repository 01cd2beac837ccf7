"""Finding Debian's system tools: debootstrap and runc live in /usr/sbin, which a
test's or a non-login shell's PATH often lacks."""

from __future__ import annotations

import os
import shutil

SYSTEM_DIRS = ("/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin")


def search_path() -> str:
    parts = [part for part in os.environ.get("PATH", "").split(os.pathsep) if part]
    return os.pathsep.join([*parts, *(d for d in SYSTEM_DIRS if d not in parts)])


def which(tool: str) -> str | None:
    return shutil.which(tool, path=search_path())


def environment() -> dict[str, str]:
    """This process's environment with the system directories on PATH."""
    return {**os.environ, "PATH": search_path()}
