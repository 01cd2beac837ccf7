"""ruff and mypy over the source tree, as part of the test suite.

These read the real workspace (found through a runfile's symlink), so the
target is tagged `external`: Bazel must not cache a result for inputs it does
not track.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

RUNFILES = Path(os.environ.get("TEST_SRCDIR", "")) / os.environ.get("TEST_WORKSPACE", "")


def workspace_root() -> Path:
    if "TEST_SRCDIR" in os.environ:
        return (RUNFILES / "pyproject.toml").resolve().parent
    return Path(__file__).resolve().parents[2]


def tool(name: str) -> str:
    return str(Path(sys.prefix) / "bin" / name)


# What mypy checks with --strict; grows as modules become clean. Generated stubs
# are checked through their use in sample_import.py.
MYPY_TARGETS = [
    "backend/libs/python/stigmer_client",
    "backend/libs/python/stigmer_common",
    "backend/libs/python/stigmer_dsl",
    "backend/libs/python/stigmer_runner",
    "backend/libs/python/stigmer_temporal",
    "backend/libs/python/stigmer_testing",
    "backend/services/stigmer-server/stigmer_server",
    "backend/services/workflow-runner/workflow_runner",
    "cli/stigmer_cli",
    "console/stigmer_console",
    "tools/bench",
    "tools/images",
    "tools/lint/sample_import.py",
    "tools/protoc-gen-stigmer-temporal",
    "tools/testing/summarize_junit.py",
]


def _run(argv: list[str], env: dict[str, str] | None = None) -> None:
    result = subprocess.run(
        argv, cwd=workspace_root(), capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, f"{' '.join(argv)}\n{result.stdout}\n{result.stderr}"


def test_ruff_check() -> None:
    _run([tool("ruff"), "check", "--no-cache", "."])


def test_ruff_format() -> None:
    _run([tool("ruff"), "format", "--check", "--no-cache", "."])


def test_mypy_strict_on_typed_modules_and_generated_stubs() -> None:
    env = dict(os.environ)
    if "TEST_SRCDIR" in os.environ:
        # Bazel's generated tree (the .py and .pyi of //apis) instead of gen/python.
        env["MYPYPATH"] = str(RUNFILES / "apis")
    _run(
        [tool("mypy"), "--no-incremental", "--cache-dir=/dev/null", *MYPY_TARGETS],
        env=env,
    )
