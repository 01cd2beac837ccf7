"""Fixtures of the CTK bindings: an engine harness on a background event loop.

pytest-bdd steps are synchronous, so the dev server, the workers and the fake
HTTP services' clients live on one event loop in a background thread and
steps submit coroutines to it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from stigmer_common.temporal_dev_server import start_dev_server
from tests.engine.harness import EngineHarness
from tests.support.fake_http_services import fake_http_server, fake_http_services

__all__ = ["fake_http_server", "fake_http_services"]

T = TypeVar("T")


class BackgroundHarness:
    """An :class:`EngineHarness` driven from synchronous code."""

    def __init__(self, history_dir: Path) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._env = self.call(start_dev_server())
        self.harness = EngineHarness(self._env.client, history_dir)

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 120) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def close(self) -> None:
        self.call(self._env.shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@pytest.fixture(scope="session")
def ctk_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundHarness]:
    background = BackgroundHarness(tmp_path_factory.mktemp("ctk-histories"))
    yield background
    background.close()
