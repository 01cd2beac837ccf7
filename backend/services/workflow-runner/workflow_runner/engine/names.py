"""The Temporal names of the DSL engine, kept in one place.

The workflow type and the default task queue come from the generated contract
(``apis/stigmer/engine/v1/contract.proto``), so a renamed workflow breaks the
build, not a production run; the platform's bridge starts the engine by the
same contract.
"""

from __future__ import annotations

from typing import Final

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    # Generated protobuf modules must not be re-imported per run inside the sandbox.
    from stigmer.engine.v1.contract_temporal import (
        DELIVER_CLOUD_EVENT,
        EXECUTE_SERVERLESS_WORKFLOW,
        PAUSE_ENGINE,
        RESUME_ENGINE,
        SERVERLESS_WORKFLOW_ENGINE_QUEUE,
    )

#: Workflow type of the DSL interpreter.
WORKFLOW_TYPE: Final = EXECUTE_SERVERLESS_WORKFLOW.name

#: Task queue the engine's worker polls (default; deployments override it by env).
TASK_QUEUE: Final = SERVERLESS_WORKFLOW_ENGINE_QUEUE.default

#: Signal that delivers one CloudEvent (a JSON object) to a running workflow.
CLOUDEVENT_SIGNAL: Final = DELIVER_CLOUD_EVENT.name

#: Signals holding the run at its next task boundary and letting it go on (see pause.py).
PAUSE_SIGNAL: Final = PAUSE_ENGINE.name
RESUME_SIGNAL: Final = RESUME_ENGINE.name
