"""A static scan of workflow code for calls Temporal's sandbox would have refused.

Workers pass their own workflow modules through Temporal's sandbox (re-importing
them for every run costs more than the run; issue 16), so the sandbox no longer
stops a clock, random, environment or file read in that code at run time. This
scan does, at test time: it lists the modules a workflow module really imports
(in a fresh interpreter), parses each, resolves import aliases, and reports
every reference to a known non-deterministic or I/O callable, with the function
it sits in. A reviewed exception (code only ever called outside workflows, such
as a definition check at Apply) is allowed by ``module:function:name``.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

#: Dotted names whose use in workflow code breaks replay or does I/O.
FORBIDDEN: Final = frozenset(
    {
        "time.time",
        "time.time_ns",
        "time.monotonic",
        "time.monotonic_ns",
        "time.perf_counter",
        "time.perf_counter_ns",
        "time.process_time",
        "time.sleep",
        "time.localtime",
        "time.ctime",
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.datetime.today",
        "datetime.date.today",
        "uuid.uuid1",
        "uuid.uuid4",
        "os.environ",
        "os.getenv",
        "os.putenv",
        "os.urandom",
        "os.getpid",
        "os.listdir",
        "os.scandir",
        "os.path.exists",
        "os.path.isfile",
        "threading.Thread",
        "asyncio.get_event_loop",
        "builtins.open",
        "builtins.input",
        "io.open",
    }
)
#: Modules every attribute of which is forbidden.
FORBIDDEN_MODULES: Final = frozenset(
    {"random", "secrets", "subprocess", "socket", "urllib.request", "http.client"}
)
#: Method names that read or write files whatever the object (``Path`` and the like).
FORBIDDEN_METHODS: Final = frozenset(
    {"read_text", "read_bytes", "write_text", "write_bytes", "iterdir", "is_file", "is_dir"}
)
_BUILTINS: Final = frozenset({"open", "input"})


@dataclass(frozen=True, order=True)
class Finding:
    """One forbidden reference: ``module:function:name`` at ``line``."""

    module: str
    function: str
    name: str
    line: int

    @property
    def key(self) -> str:
        return f"{self.module}:{self.function}:{self.name}"

    def __str__(self) -> str:
        return f"{self.module}:{self.line} in {self.function}: {self.name}"


def imported_modules(entry: str, prefixes: Iterable[str]) -> list[str]:
    """Modules under ``prefixes`` that importing ``entry`` loads (in a fresh interpreter)."""
    wanted = tuple(prefixes)
    code = (
        "import importlib, json, sys\n"
        f"importlib.import_module({entry!r})\n"
        f"print(json.dumps(sorted(n for n in sys.modules if n.split('.')[0] in {wanted!r})))\n"
    )
    # The child sees this process's import roots (pytest's `pythonpath` setting
    # lives in sys.path only, not in the environment).
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env=env,
    )
    names: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return names


def module_source(name: str) -> Path | None:
    """The .py file of module ``name`` (None for a namespace package)."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def scan_modules(names: Iterable[str]) -> list[Finding]:
    """Every forbidden reference in the source of ``names``."""
    findings: list[Finding] = []
    for name in names:
        path = module_source(name)
        if path is not None:
            findings.extend(scan_source(name, path.read_text(encoding="utf-8")))
    return sorted(findings)


def scan_source(module: str, source: str) -> list[Finding]:
    """Every forbidden reference in one module's source."""
    tree = ast.parse(source)
    visitor = _Visitor(module, _aliases(tree, module))
    visitor.visit(tree)
    return visitor.findings


def unexpected(findings: Iterable[Finding], allowed: Mapping[str, str]) -> list[Finding]:
    """Findings not covered by a reviewed ``allowed`` key (``module:function:name``)."""
    return [finding for finding in findings if finding.key not in allowed]


def _bound_names(node: ast.AST) -> set[str]:
    """Names assigned or taken as parameters in ``node``'s own scope (they shadow builtins)."""
    bound: set[str] = set()
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        bound.update(arg.arg for arg in ast.walk(node.args) if isinstance(arg, ast.arg))
    pending = list(ast.iter_child_nodes(node))
    while pending:
        child = pending.pop()
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(child.name)
            continue  # its own scope
        if isinstance(child, ast.Lambda):
            continue
        if isinstance(child, ast.Name) and not isinstance(child.ctx, ast.Load):
            bound.add(child.id)
        pending.extend(ast.iter_child_nodes(child))
    return bound


def _aliases(tree: ast.Module, module: str) -> dict[str, str]:
    """Local name -> dotted name it was imported as (anywhere in the module)."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    root = alias.name.split(".")[0]
                    aliases[root] = root
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


class _Visitor(ast.NodeVisitor):
    def __init__(self, module: str, aliases: dict[str, str]) -> None:
        self.module = module
        self.aliases = aliases
        self.scope: list[str] = []
        self.local_names: list[set[str]] = []
        self.findings: list[Finding] = []

    def _enter(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self.scope.append(node.name)
        self.local_names.append(_bound_names(node))
        self.generic_visit(node)
        self.local_names.pop()
        self.scope.pop()

    def visit_Module(self, node: ast.Module) -> None:
        self.local_names.append(_bound_names(node))
        self.generic_visit(node)

    visit_FunctionDef = _enter
    visit_AsyncFunctionDef = _enter
    visit_ClassDef = _enter

    def _report(self, name: str, node: ast.AST) -> None:
        function = ".".join(self.scope) or "<module>"
        self.findings.append(Finding(self.module, function, name, getattr(node, "lineno", 0)))

    def visit_Name(self, node: ast.Name) -> None:
        if not isinstance(node.ctx, ast.Load):
            return  # a field or variable named ``input`` is not a call of the builtin
        shadowed = node.id in self.aliases or any(node.id in names for names in self.local_names)
        if node.id in _BUILTINS and not shadowed:
            self._report(f"builtins.{node.id}", node)
        dotted = self.aliases.get(node.id)
        if dotted is not None and dotted in FORBIDDEN:
            self._report(dotted, node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        dotted = self._dotted(node)
        if dotted is not None and (
            dotted in FORBIDDEN or any(dotted.startswith(f"{m}.") for m in FORBIDDEN_MODULES)
        ):
            self._report(dotted, node)
        elif node.attr in FORBIDDEN_METHODS:
            self._report(f".{node.attr}", node)
        # Inner parts of a chain (``os`` in ``os.environ``) are names, not findings.
        if not isinstance(node.value, ast.Name):
            self.visit(node.value)

    def _dotted(self, node: ast.Attribute) -> str | None:
        parts = [node.attr]
        value = node.value
        while isinstance(value, ast.Attribute):
            parts.append(value.attr)
            value = value.value
        if not isinstance(value, ast.Name):
            return None
        root = self.aliases.get(value.id)
        if root is None:
            return None
        return ".".join([root, *reversed(parts)])
