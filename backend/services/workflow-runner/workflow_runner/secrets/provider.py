"""The secret provider interface the engine reads `$secrets` through.

The `dsl` command uses a file (:mod:`file_provider`); the platform will implement
the same interface over its ExecutionContext resources. Providers run in
activities (they do I/O), never in workflow code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from stigmer.commons.v1.secret_pb2 import ExecutionGrant


class SecretProvider(Protocol):
    """Looks secrets up by name."""

    async def resolve(
        self,
        names: Sequence[str],
        execution_id: str | None = None,
        grant: ExecutionGrant | None = None,
    ) -> Mapping[str, Any]:
        """The value of each named secret (for ``execution_id``, on the platform,
        proven by the ``grant`` the server handed over with it).

        Raises:
            SecretAccessError: one of ``names`` is unknown to this provider.
        """
        ...
