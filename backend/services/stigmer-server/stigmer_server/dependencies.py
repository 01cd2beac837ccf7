"""What request handling depends on, built once in ``server.py`` and passed down."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from google.protobuf.timestamp_pb2 import Timestamp
from stigmer_common.secret_seal import SecretSealer

from stigmer_server.execution.change_feed import ChangeFeed
from stigmer_server.execution.keyed_locks import KeyedLocks
from stigmer_server.execution.run_control import NothingToControl, RunControl
from stigmer_server.execution.starter import ExecutionStarter
from stigmer_server.ids import IdGenerator
from stigmer_server.repository import Repository
from stigmer_server.secrets.execution_grants import ExecutionGrants


def timestamp_now() -> Timestamp:
    # From the integer clock: Timestamp.GetCurrentTime() goes through datetime
    # and calendar.timegm (~10 us; a status update reads the clock twice).
    nanos = time.time_ns()
    return Timestamp(seconds=nanos // 1_000_000_000, nanos=nanos % 1_000_000_000)


@dataclass
class Dependencies:
    """Shared collaborators of the API layer.

    ``starter`` and ``run_control`` are mutable on purpose: the orchestration
    integration may be connected after the gRPC server is already serving queries.
    """

    repository: Repository
    starter: ExecutionStarter
    run_control: RunControl = field(default_factory=NothingToControl)
    ids: IdGenerator = field(default_factory=IdGenerator)
    clock: Callable[[], Timestamp] = timestamp_now
    change_feed: ChangeFeed = field(default_factory=ChangeFeed)
    execution_locks: KeyedLocks = field(default_factory=KeyedLocks)
    default_org: str = "local"
    # Seals stored secrets and opens them for runners and the status scrubber.
    # None only with STIGMER_SECRET_PROTECTION=off (the leak test's control run)
    # or in tests that store no secrets.
    sealer: SecretSealer | None = None
    # Issues the grant an execution's runner presents to read its secrets; the
    # server uses its data directory's key (an ephemeral one in bare tests).
    grants: ExecutionGrants = field(default_factory=ExecutionGrants.ephemeral)
