"""The state a pipeline's steps read and fill in, one per request."""

from __future__ import annotations

from dataclasses import dataclass, field

from google.protobuf.message import Message

from stigmer_server.kinds import KindDescriptor


@dataclass
class PendingWrite:
    """Another record to persist in the same batch as the main one
    (e.g. a workflow's default instance created on demand)."""

    kind: KindDescriptor
    resource: Message | None
    resource_id: str


@dataclass
class RequestContext:
    """Carries a request through its pipeline.

    Attributes:
        kind: The kind being written.
        operation: "create", "update", "delete", "update_status", ...
        request: The input message as the client sent it (never mutated).
        resource: The state being built; persisted by the persist step.
        existing: The stored state before this request, when there is one.
        caller: Who is asking (for audit), never a secret.
        extra_writes: Other records written in the same atomic batch.
        status_input: For UpdateStatus, the reported status.
        changed: Set by steps that decide nothing needs persisting.
        wal_sequence: Set by the persist step; what ``AwaitDurable`` waits for.
    """

    kind: KindDescriptor
    operation: str
    request: Message
    caller: str = "anonymous"
    resource: Message | None = None
    existing: Message | None = None
    extra_writes: list[PendingWrite] = field(default_factory=list)
    status_input: Message | None = None
    changed: bool = True
    wal_sequence: int = 0
    notes: dict[str, str] = field(default_factory=dict)

    def require_resource(self) -> Message:
        """The resource being built; a step ordering bug if absent."""
        if self.resource is None:
            raise RuntimeError(f"{self.operation}: no resource in the context yet")
        return self.resource
