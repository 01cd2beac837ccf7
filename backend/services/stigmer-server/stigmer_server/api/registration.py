"""Registering one kind's command and query servicers on a gRPC server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc

from stigmer_server.api.method_table import MethodTable

AddServicer = Callable[[Any, grpc.aio.Server], None]


def add_servicers(
    server: MethodTable,
    add_command: AddServicer,
    command: object,
    add_query: AddServicer,
    query: object,
) -> None:
    add_command(command, server.as_server())
    add_query(query, server.as_server())
