"""The DSL task on every log line an activity writes for it.

The engine runs a task's I/O in activities and gives each one the task's JSON
pointer (``/do/0/getPet``) as its summary. This worker interceptor copies the
summary into a header when the workflow schedules the activity, and binds it
(with the execution id from the workflow id) around the activity's execution,
so every record the activity logs, through any logger, names its execution
and task. Headers are not sealed by the payload codec by default; a task's
JSON pointer is not a secret.
"""

from __future__ import annotations

from typing import Any

import temporalio.activity
import temporalio.workflow
from temporalio.api.common.v1 import Payload
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
    StartActivityInput,
    StartLocalActivityInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)

from stigmer_observability.log_context import bound_execution, execution_id_in

TASK_HEADER = "stigmer-task"


def _with_task(headers: Any, summary: str | None) -> dict[str, Payload]:
    updated = dict(headers or {})
    if summary and TASK_HEADER not in updated:
        updated[TASK_HEADER] = Payload(
            metadata={"encoding": b"binary/plain"}, data=summary.encode("utf-8")
        )
    return updated


class _Outbound(WorkflowOutboundInterceptor):
    def start_activity(self, input: StartActivityInput) -> temporalio.workflow.ActivityHandle[Any]:
        input.headers = _with_task(input.headers, input.summary)
        return super().start_activity(input)

    def start_local_activity(
        self, input: StartLocalActivityInput
    ) -> temporalio.workflow.ActivityHandle[Any]:
        input.headers = _with_task(input.headers, input.summary)
        return super().start_local_activity(input)


class _WorkflowInbound(WorkflowInboundInterceptor):
    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        super().init(_Outbound(outbound))


class _ActivityInbound(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        header = (input.headers or {}).get(TASK_HEADER)
        task = header.data.decode("utf-8", errors="replace") if header is not None else None
        execution_id = execution_id_in(temporalio.activity.info().workflow_id or "")
        with bound_execution(execution_id, task):
            return await super().execute_activity(input)


class ExecutionLogInterceptor(Interceptor):
    """Add to a worker's ``interceptors``: its activities log their execution and task."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _ActivityInbound(next)

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        return _WorkflowInbound
