"""How the orchestration workflows run: outside Temporal's sandbox.

Temporal's sandbox builds a fresh module namespace for every workflow run and
runs each activation through it. For the orchestration that bought nothing:
its package and the generated protos were passed through already (12 % of the
server's CPU under load went to re-importing them, issue 16), so the sandbox's
restrictions no longer applied to its code, and what was left of the sandbox
cost ~1.5-2 ms of CPU and ~3 ms of latency per execution (replaying one
execution's history: 4.7-5.4 ms sandboxed, 3.0-3.3 ms not). The workflows are a
few lines of Temporal calls and proto building, with no module state;
``tests/orchestration/test_orchestration_determinism.py`` scans every module
they import for clock, random, environment and file access, and the replay
tests (which use Temporal's default sandbox) still run them sandboxed.

The DSL engine keeps the sandbox (``workflow_runner.wiring.worker``): it runs
user definitions and a far larger body of code.
"""

from __future__ import annotations

from temporalio.worker import UnsandboxedWorkflowRunner, WorkflowRunner


def orchestration_runner() -> WorkflowRunner:
    """The runner both orchestration workers use (and replays of their histories may)."""
    return UnsandboxedWorkflowRunner()
