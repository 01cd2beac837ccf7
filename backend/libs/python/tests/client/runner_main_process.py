"""``python runner_main_process.py MODE``: a runner's main() around a scripted runner.

MODE ``bad-settings``: its settings are refused; ``refused``: serving fails to
start (a port taken); ``serve``: it serves until SIGTERM, printing ``serving``
and then ``stopped``.
"""

from __future__ import annotations

import asyncio
import sys

from stigmer_client.env import SettingsError
from stigmer_observability import Observability
from stigmer_runner.startup import exit_process, run_runner_main

MODE = sys.argv.pop(1) if len(sys.argv) > 1 else "serve"


def read_settings() -> str:
    if MODE == "bad-settings":
        raise SettingsError("STIGMER_TEST_FLAG must be true or false, got 'maybe'")
    return MODE


def prepare(settings: str) -> None:
    print(f"prepared {settings}", flush=True)


async def serve(settings: str, stop: asyncio.Event, observability: Observability) -> None:
    if settings == "refused":
        raise OSError("cannot listen on 127.0.0.1:1: address in use")
    print("serving", flush=True)
    await stop.wait()
    print("stopped", flush=True)


if __name__ == "__main__":
    exit_process(
        run_runner_main(
            None,
            name="test-runner",
            description="A scripted runner.",
            environment_help="environment:\n  STIGMER_TEST_FLAG  a flag\n",
            read_settings=read_settings,
            serve=serve,
            prepare=prepare,
        )
    )
