"""Keeping an execution's secret values out of its stored status.

The server is the last line of defense: whatever a workflow did with
``$secrets`` (a task's input or output, an error message, the final output),
the reported status is scrubbed of every secret value of the execution before it
is merged and stored (:meth:`Redactor.message`: generic over the message, so it
covers every execution kind and any field added later).
"""

from __future__ import annotations

from stigmer_common.secret_redaction import Redactor

from stigmer_server.dependencies import Dependencies
from stigmer_server.pipeline.context import RequestContext
from stigmer_server.secrets.execution_values import execution_values


class ScrubReportedStatus:
    """Scrubs the reported status of the loaded execution's secret values.

    Runs after the execution is loaded, before the merge; the merge then reads
    ``ctx.status_input`` (the scrubbed copy) instead of the request.
    """

    name = "scrub-secrets"

    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    async def run(self, ctx: RequestContext) -> None:
        if self._deps.sealer is None:
            return  # protection switched off (the leak test's control run only)
        found = execution_values(
            self._deps.repository,
            self._deps.sealer,
            ctx.require_resource(),
            self._deps.default_org,
        )
        redactor = Redactor(found.secret_values)
        if not redactor:
            return
        report = getattr(ctx.request, "status")  # noqa: B009
        scrubbed = redactor.scrubbed(report)
        if scrubbed is not report:
            ctx.status_input = scrubbed
