"""Building a Temporal worker that runs the engine.

Third-party modules the engine uses in workflow code (libjq binding, JSON
Schema, YAML) are passed through Temporal's sandbox: they are deterministic
for our use, and re-importing C extensions per workflow run is slow or fails.

The engine's own modules (``ENGINE_MODULES``) are passed through too by every
production worker (``wiring.worker.engine_sandbox``, the `dsl` command): the
sandbox re-imported the whole engine for each run, 100-125 ms of CPU per run
on the event-loop thread (issue 16). Without the sandbox's per-call checks,
``tests/engine/unit/test_engine_determinism_scan.py`` keeps clock, random,
environment and file access out of engine workflow code statically, the replay
tests guard what it commands, and the engine's tests run it fully sandboxed
(``sandbox_runner()``'s default), so such a call also fails loudly there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from workflow_runner.engine.names import TASK_QUEUE
from workflow_runner.engine.workflow import ExecuteServerlessWorkflow

PASSTHROUGH_MODULES = (
    # Compiled jq programs are cached in this module; compiling is deterministic,
    # so the cache may outlive a workflow run (re-importing it per run would cost
    # ~1 ms per expression and run).
    "stigmer_dsl.expressions.jq_language",
    # Parsed definitions, shared the same way (parsing is a pure function of the text).
    "stigmer_dsl.parsed_documents",
    "jq",
    "jsonschema",
    "jsonschema_specifications",
    "referencing",
    "rpds",
    "yaml",
    "attrs",
    "attr",
)

#: The engine and the DSL library it runs on (passed through in production; see above).
ENGINE_MODULES = ("workflow_runner", "stigmer_dsl")


def sandbox_runner(*, pass_through_engine: bool = False) -> SandboxedWorkflowRunner:
    """The workflow runner with the engine's pass-through modules.

    Args:
        pass_through_engine: also pass the engine (``workflow_runner``, ``stigmer_dsl``) through (faster
            runs, no sandbox checks on engine code; see the module docstring).
    """
    modules = (
        (*PASSTHROUGH_MODULES, *ENGINE_MODULES) if pass_through_engine else PASSTHROUGH_MODULES
    )
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*modules)
    )


def build_worker(
    client: Client,
    *,
    task_queue: str = TASK_QUEUE,
    workflows: Sequence[type] = (ExecuteServerlessWorkflow,),
    activities: Sequence[Callable[..., Any]] = (),
    pass_through_engine: bool = False,
    **options: Any,
) -> Worker:
    """A worker for the engine workflow (plus any task activities) on ``task_queue``."""
    return Worker(
        client,
        task_queue=task_queue,
        workflows=list(workflows),
        activities=list(activities),
        workflow_runner=sandbox_runner(pass_through_engine=pass_through_engine),
        **options,
    )
