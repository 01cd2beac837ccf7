"""Building a Temporal worker that runs the engine.

Third-party modules the engine uses in workflow code (libjq binding, JSON
Schema, YAML) are passed through Temporal's sandbox: they are deterministic
for our use, and re-importing C extensions per workflow run is slow or fails.

The engine's own modules stay inside the sandbox by default, so a clock, random
or I/O call slipping into workflow code fails loudly in tests and replays. The
price is ~40 ms per workflow run (the sandbox re-imports the engine for each
run; measured with ``tools/bench/engine_vs_plain.py``: a one-task run takes
~58 ms sandboxed, ~17 ms with the engine passed through, ~16 ms for a
hand-written workflow). ``pass_through_engine=True`` trades that check for
speed; tests and the replay test always run fully sandboxed.
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

#: The engine and the DSL library it runs on (passed through only on request).
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
