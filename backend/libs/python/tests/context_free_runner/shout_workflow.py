"""A workflow with an activity and a local activity (payloads both ways)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn
async def shout(text: str) -> str:
    return text.upper() + "!"


@workflow.defn(sandboxed=True)
class ShoutTwice:
    @workflow.run
    async def run(self, text: str) -> str:
        once = await workflow.execute_activity(
            shout, text, start_to_close_timeout=timedelta(seconds=30)
        )
        return await workflow.execute_local_activity(
            shout, once, start_to_close_timeout=timedelta(seconds=30)
        )
