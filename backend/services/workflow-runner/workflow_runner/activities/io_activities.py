"""Wiring the I/O activity classes around one shared HTTP client.

The worker's ``main`` owns the ``httpx.AsyncClient`` (and closes it at shutdown);
everything else receives it here, so no module holds a client of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from workflow_runner.activities.grpc_call import GrpcActivities
from workflow_runner.activities.http_call import HttpActivities
from workflow_runner.activities.http_exchange import HttpExchange
from workflow_runner.activities.openapi_call import OpenApiActivities
from workflow_runner.activities.process_run import Interpreters, ProcessActivities
from workflow_runner.activities.resource_fetch import ResourceFetcher


@dataclass(frozen=True)
class IoActivitySettings:
    """Defaults applied when a task sets no timeout of its own.

    Attributes:
        http_timeout_seconds: Network timeout of HTTP/OpenAPI requests.
        grpc_timeout_seconds: Deadline of gRPC calls.
        process_timeout_seconds: Time limit of shell commands and scripts.
        interpreters: Script interpreters per language.
    """

    http_timeout_seconds: float = 60.0
    grpc_timeout_seconds: float = 60.0
    process_timeout_seconds: float = 600.0
    interpreters: Interpreters = field(default_factory=Interpreters)


def build_io_activities(
    client: httpx.AsyncClient, settings: IoActivitySettings | None = None
) -> Sequence[Callable[..., Any]]:
    """The activity callables to pass to ``Worker(activities=...)``.

    Args:
        client: Shared HTTP client; the caller closes it.
        settings: Default timeouts and interpreters.
    """
    settings = settings or IoActivitySettings()
    exchange = HttpExchange(client, settings.http_timeout_seconds)
    fetcher = ResourceFetcher(exchange)
    http = HttpActivities(exchange)
    openapi = OpenApiActivities(exchange)
    # Shares the exchange's authenticator, so OAuth2 tokens are cached once per worker.
    grpc = GrpcActivities(fetcher, exchange.authenticator, settings.grpc_timeout_seconds)
    processes = ProcessActivities(fetcher, settings.interpreters, settings.process_timeout_seconds)
    return [
        http.call_http,
        openapi.call_openapi,
        grpc.call_grpc,
        processes.run_shell,
        processes.run_script,
    ]
