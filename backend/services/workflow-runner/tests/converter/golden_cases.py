"""Golden cases of the spec -> DSL converter, and the command that rewrites them.

Each ``cases/NAME.json`` is a Workflow resource (proto JSON); its expected DSL is
``goldens/NAME.yaml``. Goldens are only rewritten on purpose::

    .venv/bin/python backend/services/workflow-runner/tests/converter/golden_cases.py --update
    # or: bazel run //backend/services/workflow-runner:update_goldens -- --update

then review the diff like any code change.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

if __name__ == "__main__" and "BUILD_WORKSPACE_DIRECTORY" not in os.environ:
    # Run as a plain script from a checkout: the repo's import roots (pyproject's pythonpath).
    _REPO = Path(__file__).resolve().parents[5]
    for _root in ("gen/python", "backend/libs/python", "backend/services/workflow-runner"):
        sys.path.insert(0, str(_REPO / _root))

from google.protobuf import json_format
from stigmer.workflow.v1 import api_pb2
from stigmer_dsl.converter import spec_to_yaml

HERE = Path(__file__).resolve().parent


def source_dir() -> Path:
    """The test folder in the source tree (under ``bazel run``, not the runfiles copy)."""
    workspace = os.environ.get("BUILD_WORKSPACE_DIRECTORY")
    if workspace:
        return Path(workspace) / "backend/services/workflow-runner/tests/converter"
    return HERE


def case_names(root: Path = HERE) -> list[str]:
    return sorted(path.stem for path in (root / "cases").glob("*.json"))


def load_case(name: str, root: Path = HERE) -> api_pb2.Workflow:
    workflow = api_pb2.Workflow()
    json_format.Parse((root / "cases" / f"{name}.json").read_text(encoding="utf-8"), workflow)
    return workflow


def render(name: str, root: Path = HERE) -> str:
    return spec_to_yaml(load_case(name, root).spec)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite goldens/*.yaml")
    args = parser.parse_args(argv)
    root = source_dir()
    stale = 0
    for name in case_names(root):
        golden = root / "goldens" / f"{name}.yaml"
        text = render(name, root)
        current = golden.read_text(encoding="utf-8") if golden.exists() else None
        if current == text:
            continue
        stale += 1
        if args.update:
            golden.write_text(text, encoding="utf-8")
            print(f"updated {golden}")
        else:
            print(f"stale: {golden}")
    return 0 if args.update or not stale else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
