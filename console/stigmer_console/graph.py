"""A DSL document's tasks as a graph: nodes, edges and clusters for the page to lay out.

Node ids are the tasks' JSON pointers (``/do/0/greet``), the same references the
engine reports progress under. A container task (``do``, ``for``, ``fork``,
``try``) is a node of its own, followed by a cluster holding its body. Edges
follow the flow: the next task by default, ``then`` directives (``continue``,
``exit``, ``end`` or a sibling's name), each ``switch`` case, each ``fork``
branch, a ``for`` body's loop back, a ``try``'s ``catch``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Json = dict[str, Any]

START = "start"
END = "end"


class _Builder:
    def __init__(self) -> None:
        self.nodes: list[Json] = []
        self.edges: list[Json] = []
        self._seen_edges: set[tuple[str, str, str]] = set()

    def node(self, node_id: str, label: str, kind: str, parent: str | None, **extra: Any) -> None:
        self.nodes.append({"id": node_id, "label": label, "kind": kind, "parent": parent, **extra})

    def edge(self, source: str, target: str, label: str = "") -> None:
        key = (source, target, label)
        if key not in self._seen_edges:
            self._seen_edges.add(key)
            self.edges.append({"from": source, "to": target, "label": label})

    def sequence(
        self, items: Sequence[Any], prefix: str, parent: str | None, after: str, first: int = 0
    ) -> str:
        """Add a task list; returns the id its flow enters at (``after`` when empty).

        ``first`` is the pointer index of the first item (a fork branch is one task).
        """
        entries = [_entry(item) for item in items]
        ids = [f"{prefix}/{first + index}/{name}" for index, (name, _) in enumerate(entries)]
        by_name = {name: ids[index] for index, (name, _) in enumerate(entries)}

        def target(directive: Any, index: int) -> str:
            following = ids[index + 1] if index + 1 < len(ids) else after
            if directive in (None, "continue"):
                return following
            if directive == "exit":
                return after
            if directive == "end":
                return END
            return by_name.get(str(directive), following)

        for index, (name, body) in enumerate(entries):
            self.task(
                ids[index],
                name,
                body,
                parent,
                target(body.get("then"), index),
                lambda directive, i=index: target(directive, i),
            )
        return ids[0] if ids else after

    def task(
        self,
        node_id: str,
        name: str,
        body: Mapping[str, Any],
        parent: str | None,
        successor: str,
        target: Any,
    ) -> None:
        kind = _kind(body)
        self.node(node_id, name, kind, parent)
        cluster = f"{node_id}#body"
        if kind == "switch":
            for case in body.get("switch") or []:
                case_name, case_body = _entry(case)
                label = case_name if case_body.get("when") else f"{case_name} (default)"
                self.edge(node_id, target(case_body.get("then")), label)
            return
        if kind == "raise":
            return  # a raise ends the flow with its error
        if kind in ("do", "for", "fork", "try"):
            self.node(cluster, name, "cluster", parent, cluster=True)
        if kind == "do":
            self.edge(
                node_id, self.sequence(body.get("do") or [], f"{node_id}/do", cluster, successor)
            )
        elif kind == "for":
            entry = self.sequence(body.get("do") or [], f"{node_id}/do", cluster, node_id)
            self.edge(node_id, entry, "each")
            self.edge(node_id, successor, "done")
        elif kind == "fork":
            fork = body.get("fork") or {}
            branches = fork.get("branches") or []
            for index, branch in enumerate(branches):
                entry = self.sequence(
                    [branch], f"{node_id}/fork/branches", cluster, successor, first=index
                )
                self.edge(node_id, entry, "compete" if fork.get("compete") else "branch")
        elif kind == "try":
            self.edge(
                node_id, self.sequence(body.get("try") or [], f"{node_id}/try", cluster, successor)
            )
            catch = body.get("catch") or {}
            if catch.get("do"):
                entry = self.sequence(catch["do"], f"{node_id}/catch/do", cluster, successor)
                self.edge(node_id, entry, "catch")
        else:
            self.edge(node_id, successor)


def _entry(item: Any) -> tuple[str, Mapping[str, Any]]:
    """A task list item ``{name: body}`` as ``(name, body)``."""
    if isinstance(item, Mapping) and len(item) == 1:
        name, body = next(iter(item.items()))
        return str(name), body if isinstance(body, Mapping) else {}
    return "?", {}


def _kind(body: Mapping[str, Any]) -> str:
    for key in (
        "switch",
        "for",
        "fork",
        "try",
        "do",
        "call",
        "set",
        "listen",
        "wait",
        "raise",
        "run",
        "emit",
    ):
        if key in body:
            return f"call {body['call']}" if key == "call" else key
    return "task"


def workflow_graph(document: Mapping[str, Any]) -> Json:
    """``{"nodes": [...], "edges": [...]}`` of the document's top-level ``do``."""
    builder = _Builder()
    builder.node(START, "start", "start", None)
    builder.node(END, "end", "end", None)
    builder.edge(START, builder.sequence(document.get("do") or [], "/do", None, END))
    return {"nodes": builder.nodes, "edges": builder.edges}
