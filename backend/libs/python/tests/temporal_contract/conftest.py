"""Compiles the demo contract with the real code generator into a temp import root."""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).resolve().parent


def repo_root() -> Path:
    # Under `bazel test` the sources are in runfiles at TEST_SRCDIR/TEST_WORKSPACE.
    if "TEST_SRCDIR" in os.environ:
        return Path(os.environ["TEST_SRCDIR"]) / os.environ["TEST_WORKSPACE"]
    return HERE.parents[4]


def _package_dir(proto_text: str) -> str:
    match = re.search(r"^package ([\w.]+);", proto_text, re.MULTILINE)
    assert match, "contract text has no package line"
    return match.group(1).replace(".", "/")


def generate(proto_text: str, out: Path) -> str:
    """Run tools/codegen/generate.py (protoc + our plugin) on one contract file.

    Returns the generated contract module's name.
    """
    root = repo_root()
    src = out / "src"
    package_dir = _package_dir(proto_text)
    (src / package_dir).mkdir(parents=True)
    (src / package_dir / "contract.proto").write_text(proto_text)
    shutil.copytree(root / "apis/stigmer/temporal", src / "stigmer/temporal")
    subprocess.run(
        [
            sys.executable,
            str(root / "tools/codegen/generate.py"),
            "--proto-root",
            str(src),
            "--out",
            str(out / "py"),
            "--plugin-dir",
            str(root / "tools/protoc-gen-stigmer-temporal"),
            f"{package_dir}/contract.proto",
            "stigmer/temporal/v1/options.proto",
        ],
        check=True,
        capture_output=True,
    )
    return package_dir.replace("/", ".") + ".contract_temporal"


@pytest.fixture
def load_contract(tmp_path: Path) -> Iterator[Callable[[str], ModuleType]]:
    """Generate a contract from proto text and import its ``contract_temporal`` module.

    Each text must use its own proto package: a process's descriptor pool holds
    one version of a file.
    """
    added: list[str] = []

    def load(proto_text: str) -> ModuleType:
        out = tmp_path / f"gen{len(added)}"
        module_name = generate(proto_text, out)
        sys.path.insert(0, str(out / "py"))
        added.append(str(out / "py"))
        importlib.invalidate_caches()
        # The demo package shares the `stigmer` namespace with the real apis: extend it.
        import stigmer

        stigmer.__path__ = [str(out / "py/stigmer"), *list(stigmer.__path__)]
        for name in [
            m for m in sys.modules if m == "stigmer.demo" or m.startswith("stigmer.demo.")
        ]:
            del sys.modules[name]
        return importlib.import_module(module_name)

    yield load
    for path in added:
        sys.path.remove(path)


@pytest.fixture
def demo_proto() -> str:
    return (HERE / "demo_contract.proto.txt").read_text()
