"""Fixtures for the activity tests: the fake HTTP services and a shared httpx client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from tests.support.fake_http_services import fake_http_server, fake_http_services
from workflow_runner.activities.http_exchange import HttpExchange

__all__ = ["fake_http_server", "fake_http_services"]


@pytest.fixture
async def http_client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def exchange(http_client: httpx.AsyncClient) -> HttpExchange:
    return HttpExchange(http_client, default_timeout_seconds=10.0)
