"""The CLI uses the shared DSL library, never the workflow runner's code.

The runner is only started as a child process (``python -m workflow_runner``);
importing it would tie the CLI to the engine and Temporal worker internals.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import stigmer_cli

CLI_PACKAGE = Path(stigmer_cli.__file__).resolve().parent
FORBIDDEN = "workflow_runner"


def _imported_modules(source: Path) -> list[str]:
    tree = ast.parse(source.read_text(), filename=str(source))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_no_cli_module_imports_the_workflow_runner() -> None:
    offenders = [
        f"{path.relative_to(CLI_PACKAGE.parent)}: {name}"
        for path in sorted(CLI_PACKAGE.rglob("*.py"))
        for name in _imported_modules(path)
        if name == FORBIDDEN or name.startswith(FORBIDDEN + ".")
    ]
    assert offenders == []


def test_importing_every_cli_module_loads_the_dsl_library_but_not_the_runner() -> None:
    # A fresh interpreter: this test process may have the runner loaded already.
    script = (
        "import importlib, pkgutil, sys, stigmer_cli\n"
        "for info in pkgutil.walk_packages(stigmer_cli.__path__, 'stigmer_cli.'):\n"
        "    importlib.import_module(info.name)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'workflow_runner', 'stigmer_dsl'}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['stigmer_dsl']"
