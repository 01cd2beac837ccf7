"""Execution grants: proof that this server handed an execution to a runner.

A runner key is bound to a role and an org, not to an execution. The grant
binds it: when the orchestration starts an execution it issues an HMAC-SHA256
over the execution id and org under a key only the server holds, and the runner
presents it with ResolveSecrets, which reads that execution's secrets only.

The key lives in the data directory (``execution-grant.key``, 32 random bytes,
owner-only), not in the payload key ring: runners hold the ring (they decode
payloads), so a ring-derived key would let any runner process mint grants. It
is created on first start under the directory lock and survives restarts, so
grants of executions still running stay valid.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from stigmer.commons.v1 import secret_pb2

GRANT_KEY_FILE = "execution-grant.key"
_KEY_BYTES = 32
_LABEL = b"stigmer execution grant v1"


class ExecutionGrants:
    """Issues and verifies grants under one server key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < _KEY_BYTES:
            raise ValueError(f"an execution grant key has at least {_KEY_BYTES} bytes")
        self._key = key

    @staticmethod
    def ephemeral() -> ExecutionGrants:
        """A key for this process only (servers without a data directory: tests)."""
        return ExecutionGrants(secrets.token_bytes(_KEY_BYTES))

    @staticmethod
    def in_data_dir(data_dir: Path) -> ExecutionGrants:
        """The data directory's key, created on first use (see the module docstring)."""
        path = data_dir / GRANT_KEY_FILE
        try:
            # O_EXCL: never overwrite a key whose grants are in flight.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            key = path.read_bytes()
            if len(key) < _KEY_BYTES:
                raise ValueError(
                    f"{path}: an execution grant key has at least {_KEY_BYTES} bytes; "
                    "delete the file to make a new one (running executions lose their grants)"
                ) from None
            return ExecutionGrants(key)
        key = secrets.token_bytes(_KEY_BYTES)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
            handle.flush()
            os.fsync(handle.fileno())
        return ExecutionGrants(key)

    def issue(self, execution_id: str, org: str) -> secret_pb2.ExecutionGrant:
        return secret_pb2.ExecutionGrant(
            execution_id=execution_id, org=org, mac=self._mac(execution_id, org)
        )

    def verify(self, grant: secret_pb2.ExecutionGrant, execution_id: str) -> bool:
        """True if ``grant`` was issued by this server for ``execution_id``."""
        if not grant.mac or grant.execution_id != execution_id:
            return False
        return hmac.compare_digest(grant.mac, self._mac(grant.execution_id, grant.org))

    def _mac(self, execution_id: str, org: str) -> bytes:
        # Length-prefixed fields: ("a", "bc") and ("ab", "c") never collide.
        message = b"".join(
            len(part).to_bytes(4, "big") + part
            for part in (_LABEL, execution_id.encode(), org.encode())
        )
        return hmac.new(self._key, message, hashlib.sha256).digest()
