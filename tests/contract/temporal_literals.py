"""Finds Temporal names written as string literals in service code.

Every workflow type, activity, signal, query, memo key and application error
type is declared in a contract proto under apis/ and used through the
generated ``contract_temporal`` constants. This scanner reads Python source
(AST, so multi-line calls and either quote style are covered) and reports each
place where one of them is a string literal instead.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

#: Decorator factories whose ``name=`` is a registered Temporal name.
_NAMED_DEFINITIONS = {"defn", "signal", "query", "update"}
#: Calls whose first argument is a workflow type, activity, signal or query name.
_NAME_FIRST = {
    "execute_activity",
    "start_activity",
    "execute_local_activity",
    "start_local_activity",
    "execute_child_workflow",
    "start_child_workflow",
    "execute_workflow",
    "start_workflow",
    "signal",
    "query",
    "memo_value",
}
#: Keyword arguments naming a Temporal name in those calls.
_NAME_KEYWORDS = {"start_signal", "signal"}
#: Constants named like a Temporal name (a names module of hand-written literals).
_NAME_CONSTANT = re.compile(
    r"(SIGNAL|QUERY|ACTIVITY|WORKFLOW_TYPE|MEMO|MEMO_KEY|ERROR_TYPE|TASK_QUEUE)$"
)


@dataclass(frozen=True)
class Literal:
    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def _is_str(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _callee(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _literal_strings(node: ast.AST) -> bool:
    if _is_str(node):
        return True
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return any(_is_str(item) for item in node.elts)
    return False


def scan_source(source: str, path: str = "<source>") -> list[Literal]:
    """Every Temporal name literal in ``source``."""
    found: list[Literal] = []
    for node in ast.walk(ast.parse(source, filename=path)):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and _is_str(node.value):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and _NAME_CONSTANT.search(target.id):
                    found.append(Literal(path, node.lineno, f"{target.id} = '...' literal"))
            continue
        if not isinstance(node, ast.Call):
            continue
        callee = _callee(node)
        keywords = {kw.arg: kw.value for kw in node.keywords if kw.arg}

        def report(what: str, line: int = node.lineno) -> None:
            found.append(Literal(path, line, what))

        if callee in _NAMED_DEFINITIONS and _is_str(keywords.get("name")):
            report(f"{callee}(name=...) literal")
        if callee in _NAME_FIRST and node.args and _is_str(node.args[0]):
            report(f"{callee}('...') literal name")
        for keyword in _NAME_KEYWORDS & set(keywords):
            if callee in _NAME_FIRST and _is_str(keywords[keyword]):
                report(f"{callee}({keyword}=...) literal")
        if callee == "ApplicationError" and _is_str(keywords.get("type")):
            report("ApplicationError(type=...) literal")
        if callee == "RetryPolicy" and "non_retryable_error_types" in keywords:
            if _literal_strings(keywords["non_retryable_error_types"]):
                report("RetryPolicy(non_retryable_error_types=...) literal")
        memo = keywords.get("memo")
        if isinstance(memo, ast.Dict) and any(_is_str(key) for key in memo.keys):
            report("memo={...} literal key")
    return found


def scan_tree(root: Path, relative_to: Path) -> list[Literal]:
    """Every literal in the ``*.py`` files under ``root`` (generated code excluded)."""
    found: list[Literal] = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text()
        if "DO NOT EDIT" in text[:200]:
            continue
        found.extend(scan_source(text, str(path.relative_to(relative_to))))
    return found
