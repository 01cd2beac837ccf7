"""A test client reaching the command and query stubs of any kind by its descriptor."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import grpc
from stigmer_server.kinds import KindDescriptor


@dataclass
class KindStubs:
    command: Any
    query: Any


def stubs(channel: grpc.aio.Channel, kind: KindDescriptor) -> KindStubs:
    package = kind.resource_type.DESCRIPTOR.file.package  # stigmer.<kind>.v1
    command = importlib.import_module(f"{package}.command_pb2_grpc")
    query = importlib.import_module(f"{package}.query_pb2_grpc")
    return KindStubs(
        command=getattr(command, f"{kind.kind_name}CommandControllerStub")(channel),
        query=getattr(query, f"{kind.kind_name}QueryControllerStub")(channel),
    )


def field_of(error: grpc.aio.AioRpcError) -> str:
    """The ``stigmer-field`` trailer of a rejected call ("" when absent)."""
    for key, value in error.trailing_metadata() or ():
        if key == "stigmer-field":
            return str(value)
    return ""
