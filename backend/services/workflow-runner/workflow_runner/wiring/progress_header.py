"""Progress entries that ride with an activity instead of a report of their own.

When the engine schedules an activity (an HTTP call, a gRPC call...), the
entries buffered so far (that task's "started" entry, the entries of the tasks
before it) go in the activity's ``PROGRESS_HEADER``; the activity worker
delivers them to stigmer-server while the activity runs, and hands back the
activity's result only once they are delivered, so a report the workflow sends
after it sees the result arrives after them. A report of its own is a local
activity, which keeps the workflow task open until the report returns: the
activity would start one round trip later, and history would hold a marker
and the workflow one more activation per report.

The header is sealed like every payload: the runner's client encodes headers
with the payload codec (``stigmer_runner.temporal_client``); entries carry
task input. A delivery that fails is logged and dropped (progress never fails
an execution); a retried activity delivers its entries again, which the server
takes as the same upsert (entries by task id, phases only move forward). When
the answer says the execution already ended (e.g. its orchestration was
cancelled), the activity signals the run (``EXECUTION_ENDED_ELSEWHERE``), which
stops as it does when its own report learns it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol, runtime_checkable

import temporalio.activity
from stigmer.engine.v1.contract_temporal import EXECUTION_ENDED_ELSEWHERE, PROGRESS_HEADER
from stigmer.workflowexecution.v1 import io_pb2
from temporalio import workflow
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
    StartActivityInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)

from workflow_runner.activities.heartbeat import heartbeating
from workflow_runner.wiring.progress import TERMINAL_PHASES, ProgressReporter

_log = logging.getLogger(__name__)


@runtime_checkable
class CarriesProgress(Protocol):
    """A workflow whose buffered progress an activity may carry (the platform's engine)."""

    def progress_for_activity(self) -> io_pb2.WorkflowExecutionUpdateStatusInput | None: ...


class _Outbound(WorkflowOutboundInterceptor):
    def start_activity(self, input: StartActivityInput) -> workflow.ActivityHandle[Any]:
        carrier = workflow.instance()
        if isinstance(carrier, CarriesProgress):
            report = carrier.progress_for_activity()
            if report is not None:
                headers = dict(input.headers or {})
                headers[PROGRESS_HEADER] = workflow.payload_converter().to_payload(report)
                input.headers = headers
        return super().start_activity(input)


class _WorkflowInbound(WorkflowInboundInterceptor):
    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        super().init(_Outbound(outbound))


class _ActivityInbound(ActivityInboundInterceptor):
    def __init__(
        self, next: ActivityInboundInterceptor, reporter: ProgressReporter, client: Client
    ) -> None:
        super().__init__(next)
        self._reporter = reporter
        self._client = client

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        header = (input.headers or {}).get(PROGRESS_HEADER)
        if header is None:
            return await super().execute_activity(input)
        report = temporalio.activity.payload_converter().from_payload(
            header, io_pb2.WorkflowExecutionUpdateStatusInput
        )
        delivery = asyncio.create_task(self._deliver(report))
        try:
            return await super().execute_activity(input)
        finally:
            if not delivery.done():
                # Heartbeating: a slow delivery (stigmer-server restarting) must not
                # time the attempt out once the activity's own work is done.
                await heartbeating(asyncio.shield(delivery))

    async def _deliver(self, report: io_pb2.WorkflowExecutionUpdateStatusInput) -> None:
        try:
            answer = await self._reporter.report(report)
        except Exception:
            _log.warning("progress carried for %s dropped", report.execution_id, exc_info=True)
            return
        if answer.phase not in TERMINAL_PHASES:
            return
        # Ended elsewhere (e.g. cancelled): the workflow would have learned it
        # from its own report; tell it, so it stops instead of running on.
        workflow_id = temporalio.activity.info().workflow_id
        try:
            if workflow_id:
                await EXECUTION_ENDED_ELSEWHERE.send(self._client, workflow_id, answer)
        except RPCError:
            _log.warning("could not tell %s its execution ended", workflow_id, exc_info=True)


class ProgressHeaderInterceptor(Interceptor):
    """Add to the engine worker's ``interceptors`` when it reports progress."""

    def __init__(self, reporter: ProgressReporter, client: Client) -> None:
        """Args:
        reporter: delivers the carried entries (stigmer-server's UpdateStatus).
        client: signals a run whose execution ended elsewhere.
        """
        self._reporter = reporter
        self._client = client

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _ActivityInbound(next, self._reporter, self._client)

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        return _WorkflowInbound
