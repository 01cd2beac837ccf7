"""A workflow scheduling one activity with a task summary, as the DSL engine does."""

from __future__ import annotations

import logging
from datetime import timedelta

from temporalio import activity, workflow

_log = logging.getLogger("tests.task_activity")


@activity.defn(name="LogForTask")
async def log_for_task(text: str) -> str:
    _log.info("working on %s", text)
    return text


@workflow.defn(name="TaskLogWorkflow")
class TaskLogWorkflow:
    @workflow.run
    async def run(self, text: str) -> str:
        return await workflow.execute_activity(
            log_for_task,
            text,
            start_to_close_timeout=timedelta(seconds=30),
            summary="/do/0/fetchPet",
        )
