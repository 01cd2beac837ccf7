"""Which event loop the server process runs: uvloop when installed, unless told otherwise."""

from __future__ import annotations

import asyncio
import importlib.util

import pytest
from stigmer_server.event_loop import EventLoopChoiceError, chosen_loop, run

UVLOOP_INSTALLED = importlib.util.find_spec("uvloop") is not None


def test_default_is_uvloop_when_installed() -> None:
    assert chosen_loop({}) == ("uvloop" if UVLOOP_INSTALLED else "asyncio")


def test_asyncio_can_be_chosen_and_bad_values_are_one_clear_error() -> None:
    assert chosen_loop({"STIGMER_EVENT_LOOP": " AsyncIO "}) == "asyncio"
    with pytest.raises(EventLoopChoiceError, match="STIGMER_EVENT_LOOP='tokio': must be one of"):
        chosen_loop({"STIGMER_EVENT_LOOP": "tokio"})


@pytest.mark.skipif(not UVLOOP_INSTALLED, reason="uvloop not installed")
def test_run_uses_the_chosen_loop() -> None:
    async def loop_module() -> str:
        return type(asyncio.get_running_loop()).__module__

    assert run(loop_module(), "uvloop").startswith("uvloop")
    assert run(loop_module(), "asyncio").startswith("asyncio")
