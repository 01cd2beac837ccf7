"""Typed access to the fields every resource message shares.

Each kind is its own generated class; they share a shape (api_version, kind,
metadata, spec, status with audit) but no base class. The generic pipeline
steps reach those common fields through these functions so the casts live in
one place.
"""

from __future__ import annotations

from typing import cast

from google.protobuf.message import Message
from stigmer.commons.v1 import metadata_pb2, phase_pb2

TERMINAL_PHASES = frozenset(
    {phase_pb2.COMPLETED, phase_pb2.FAILED, phase_pb2.CANCELLED},
)


def metadata_of(resource: Message) -> metadata_pb2.ApiResourceMetadata:
    return cast(metadata_pb2.ApiResourceMetadata, getattr(resource, "metadata"))  # noqa: B009


def status_of(resource: Message) -> Message:
    return cast(Message, getattr(resource, "status"))  # noqa: B009


def spec_of(resource: Message) -> Message:
    return cast(Message, getattr(resource, "spec"))  # noqa: B009


def audit_of(resource: Message) -> metadata_pb2.ApiResourceAudit:
    return cast(metadata_pb2.ApiResourceAudit, getattr(status_of(resource), "audit"))  # noqa: B009


def phase_of(resource: Message) -> int:
    """The execution phase of an execution resource."""
    return int(getattr(status_of(resource), "phase"))  # noqa: B009


def set_header(resource: Message, api_version: str, kind_name: str) -> None:
    """Fills ``api_version`` and ``kind``, the resource's self-description."""
    setattr(resource, "api_version", api_version)  # noqa: B010
    setattr(resource, "kind", kind_name)  # noqa: B010
