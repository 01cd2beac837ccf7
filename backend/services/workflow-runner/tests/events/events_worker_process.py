"""A wired engine worker as its own process, so a test can kill -9 it.

Usage: python events_worker_process.py ADDRESS TASK_QUEUE BUS
(the payload keyring comes from STIGMER_PAYLOAD_KEYS, shared with the test).
Prints "ready" on stdout once polling.
"""

from __future__ import annotations

import asyncio
import os
import sys

import httpx
from stigmer_common.payload_codec import encrypted_data_converter, load_keyring
from temporalio.client import Client
from workflow_runner.activities.io_activities import build_io_activities
from workflow_runner.events.publisher import BusConfig
from workflow_runner.wiring.worker import EngineProviders, build_engine_worker


async def main(address: str, task_queue: str, bus_name: str) -> None:
    client = await Client.connect(address, data_converter=encrypted_data_converter(load_keyring()))
    bus = BusConfig(task_queue=task_queue, bus=bus_name)
    async with (
        httpx.AsyncClient() as http,
        build_engine_worker(
            client,
            task_queue=task_queue,
            providers=EngineProviders(bus=bus, io_activities=build_io_activities(http)),
        ),
    ):
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(main(*sys.argv[1:4]))
    finally:
        sys.stdout.flush()
        os._exit(0)
