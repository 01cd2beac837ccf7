"""The task graph of DSL documents: node ids are the engine's task pointers, edges the flow."""

from __future__ import annotations

from typing import Any

from stigmer_console.graph import END, START, workflow_graph


def _edges(graph: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(e["from"], e["to"], e["label"]) for e in graph["edges"]}


def _nodes(graph: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["id"]: n for n in graph["nodes"]}


def test_a_sequence_runs_start_to_end_and_then_directives_jump() -> None:
    graph = workflow_graph(
        {
            "do": [
                {"a": {"set": {"x": 1}, "then": "c"}},
                {"b": {"set": {"x": 2}}},
                {"c": {"set": {"x": 3}, "then": "end"}},
                {"d": {"call": "http", "with": {}}},
            ]
        }
    )
    assert _edges(graph) == {
        (START, "/do/0/a", ""),
        ("/do/0/a", "/do/2/c", ""),
        ("/do/1/b", "/do/2/c", ""),
        ("/do/2/c", END, ""),
        ("/do/3/d", END, ""),
    }
    assert _nodes(graph)["/do/3/d"]["kind"] == "call http"


def test_switch_cases_lead_to_their_targets_and_exit_leaves_the_list() -> None:
    graph = workflow_graph(
        {
            "do": [
                {
                    "route": {
                        "switch": [
                            {"big": {"when": "${ .n > 1 }", "then": "large"}},
                            {"none": {"when": "${ .n == 0 }", "then": "exit"}},
                            {"other": {"then": "continue"}},
                        ]
                    }
                },
                {"small": {"set": {}}},
                {"large": {"set": {}}},
            ]
        }
    )
    edges = _edges(graph)
    assert ("/do/0/route", "/do/2/large", "big") in edges
    assert ("/do/0/route", END, "none") in edges
    assert ("/do/0/route", "/do/1/small", "other (default)") in edges


def test_fork_branches_sit_in_a_cluster_and_join_at_the_next_task() -> None:
    graph = workflow_graph(
        {
            "do": [
                {
                    "par": {
                        "fork": {
                            "compete": True,
                            "branches": [{"l": {"set": {}}}, {"r": {"wait": {"seconds": 1}}}],
                        }
                    }
                },
                {"after": {"set": {}}},
            ]
        }
    )
    nodes, edges = _nodes(graph), _edges(graph)
    cluster = "/do/0/par#body"
    assert nodes[cluster]["cluster"] is True
    assert nodes["/do/0/par/fork/branches/0/l"]["parent"] == cluster
    assert nodes["/do/0/par/fork/branches/1/r"]["parent"] == cluster
    assert ("/do/0/par", "/do/0/par/fork/branches/0/l", "compete") in edges
    assert ("/do/0/par", "/do/0/par/fork/branches/1/r", "compete") in edges
    assert ("/do/0/par/fork/branches/0/l", "/do/1/after", "") in edges
    assert ("/do/0/par/fork/branches/1/r", "/do/1/after", "") in edges


def test_for_loops_back_try_has_a_catch_path_and_do_nests() -> None:
    graph = workflow_graph(
        {
            "do": [
                {
                    "loop": {
                        "for": {"each": "x", "in": ".xs"},
                        "do": [{"body": {"set": {}}}],
                    }
                },
                {
                    "guarded": {
                        "try": [{"risky": {"call": "http", "with": {}}}],
                        "catch": {"errors": {}, "do": [{"recover": {"set": {}}}]},
                    }
                },
                {"outer": {"do": [{"inner": {"do": [{"deep": {"raise": {"error": {}}}}]}}]}},
            ]
        }
    )
    nodes, edges = _nodes(graph), _edges(graph)
    assert ("/do/0/loop", "/do/0/loop/do/0/body", "each") in edges
    assert ("/do/0/loop/do/0/body", "/do/0/loop", "") in edges
    assert ("/do/0/loop", "/do/1/guarded", "done") in edges
    assert ("/do/1/guarded", "/do/1/guarded/try/0/risky", "") in edges
    assert ("/do/1/guarded", "/do/1/guarded/catch/do/0/recover", "catch") in edges
    assert ("/do/1/guarded/try/0/risky", "/do/2/outer", "") in edges
    deep = "/do/2/outer/do/0/inner/do/0/deep"
    assert nodes[deep]["parent"] == "/do/2/outer/do/0/inner#body"
    assert nodes["/do/2/outer/do/0/inner#body"]["parent"] == "/do/2/outer#body"
    assert not [e for e in edges if e[0] == deep]  # a raise ends the flow


def test_an_empty_body_flows_straight_on() -> None:
    graph = workflow_graph({"do": [{"nothing": {"do": []}}]})
    assert _edges(graph) == {(START, "/do/0/nothing", ""), ("/do/0/nothing", END, "")}
