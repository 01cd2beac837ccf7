"""``fork``: run branches concurrently.

Without ``compete`` the output is the list of branch outputs in declaration
order, and the first branch fault cancels the others and faults the task.
With ``compete: true`` the first branch to finish wins: its output is the
task's output and the other branches are cancelled. Branches are asyncio
tasks on Temporal's deterministic event loop (awaited with ``workflow.wait``,
which keeps the done set in a deterministic order), so the winner is the same
on replay.
"""

from __future__ import annotations

import asyncio
from typing import Any

from stigmer_dsl.model import TaskDefinition
from temporalio import workflow

from workflow_runner.engine.context import TaskContext


async def run(ctx: TaskContext, task: TaskDefinition, task_input: Any) -> Any:
    # Concurrent branches cannot be captured by a checkpoint.
    with ctx.state.not_resumable():
        return await _run(ctx, task, task_input)


async def _run(ctx: TaskContext, task: TaskDefinition, task_input: Any) -> Any:
    branches = task.subtasks("fork", "branches")
    compete = bool(task.body["fork"].get("compete", False))
    running = [asyncio.ensure_future(ctx.run_tasks([branch], task_input)) for branch in branches]
    if not running:
        return [] if not compete else task_input
    try:
        if compete:
            done, _ = await workflow.wait(running, return_when=asyncio.FIRST_COMPLETED)
            # Several may finish in the same workflow task: pick by declaration order.
            winner = next(f for f in running if f in done)
            return winner.result()
        done, _ = await workflow.wait(running, return_when=asyncio.FIRST_EXCEPTION)
        for future in running:  # raise the first declared failure, if any
            if future in done and future.exception() is not None:
                raise future.exception()  # type: ignore[misc]
        return [future.result() for future in running]
    finally:
        for future in running:
            if not future.done():
                future.cancel()
        if any(not f.done() for f in running):
            await asyncio.gather(*running, return_exceptions=True)
