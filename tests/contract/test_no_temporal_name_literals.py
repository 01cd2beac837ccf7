"""No Temporal name is written as a literal in service code: they come from apis/.

The scanner is checked first on sources that contain each kind of literal, so
a scanner that stopped seeing them cannot pass the real check silently.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from temporal_literals import scan_source, scan_tree


def _repo_root() -> Path:
    # Under `bazel test` the sources are in runfiles at TEST_SRCDIR/TEST_WORKSPACE.
    if "TEST_SRCDIR" in os.environ:
        return Path(os.environ["TEST_SRCDIR"]) / os.environ["TEST_WORKSPACE"]
    return Path(__file__).resolve().parents[2]


#: The service packages whose Temporal names must all come from the contracts.
SERVICE_PACKAGES = [
    "backend/services/workflow-runner/workflow_runner",
    "backend/services/agent-runner/agent_runner",
    "backend/services/stigmer-server/stigmer_server",
    "cli/stigmer_cli",
]

BAD_SOURCES = {
    "workflow type": '@workflow.defn(name="stigmer.events.Registry")\nclass R: ...\n',
    "activity name": "@activity.defn(name='stigmer.dsl.CallHttp')\nasync def f(): ...\n",
    "signal handler": 'class W:\n    @workflow.signal(name="publish")\n    def p(self): ...\n',
    "query handler": 'class W:\n    @workflow.query(name="status")\n    def s(self): ...\n',
    "activity call": 'async def f():\n    await workflow.execute_activity(\n        "X", 1)\n',
    "local activity call": 'async def f():\n    await workflow.execute_local_activity("X")\n',
    "child workflow": 'async def f():\n    await workflow.start_child_workflow("W", 1)\n',
    "client start": 'async def f(c):\n    await c.start_workflow("W", 1, id="i")\n',
    "signal send": 'async def f(h):\n    await h.signal("cloudevent", {})\n',
    "signal-with-start": "async def f(c):\n    await c.start_workflow(W.run, start_signal='publish')\n",
    "query call": 'async def f(h):\n    await h.query("status")\n',
    "memo read": 'def f():\n    return workflow.memo_value("stigmer.executionId", "")\n',
    "memo write": "async def f(c):\n    await c.start_workflow(W.run, memo={'activityTaskQueue': 'q'})\n",
    "error type": 'def f():\n    raise ApplicationError(\n        "m",\n        type="InvalidExecution",\n    )\n',
    "non-retryable types": 'P = RetryPolicy(non_retryable_error_types=["StatusRejected"])\n',
    "names module": 'CLOUDEVENT_SIGNAL: Final = "cloudevent"\n',
    "names module, untyped": 'RUNNER_QUEUE_MEMO_KEY = "activityTaskQueue"\n',
}


@pytest.mark.parametrize("kind", sorted(BAD_SOURCES))
def test_the_scanner_sees_each_kind_of_literal(kind: str) -> None:
    found = scan_source(BAD_SOURCES[kind])
    assert len(found) == 1, f"{kind}: {found}"


def test_the_scanner_accepts_names_from_the_contract() -> None:
    source = (
        "@REGISTRY.defn\nclass R:\n"
        "    @SUBSCRIBE.defn\n    def s(self): ...\n"
        "    @workflow.signal(name=PAUSE_SIGNAL)\n    def p(self): ...\n"
        "async def f(h):\n"
        "    await workflow.execute_activity(CALL_HTTP.name, 1)\n"
        "    await h.signal(CLOUDEVENT_SIGNAL, {})\n"
        "    raise ApplicationError('message', type=INVALID_EXECUTION_ERROR)\n"
        "    await c.start_workflow(W.run, memo={RUNNER_QUEUE_MEMO: 'q'})\n"
        "CLOUDEVENT_SIGNAL: Final = DELIVER_CLOUD_EVENT.name\n"
    )
    assert scan_source(source) == []


def test_service_code_writes_no_temporal_name_as_a_literal() -> None:
    root = _repo_root()
    found = []
    for package in SERVICE_PACKAGES:
        directory = root / package
        assert any(directory.rglob("*.py")), f"no sources under {directory}"
        found.extend(scan_tree(directory, root))
    assert not found, "Temporal names written as literals (declare them in apis/):\n" + "\n".join(
        str(literal) for literal in found
    )
