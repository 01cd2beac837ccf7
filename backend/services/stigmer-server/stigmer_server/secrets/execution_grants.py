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

A grant also says whether the execution's creator may act in every org
(``every_org``: an admin key of org ``*``, or the zero-config local admin, as
named by ``status.audit.created_by``), which lets its `call: agent` tasks name
another org. The MAC covers the flag when set, so grants without it keep their
MAC.
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
_EVERY_ORG = b"every org"


class ExecutionGrants:
    """Issues and verifies grants under one server key."""

    def __init__(self, key: bytes, every_org_creators: frozenset[str] = frozenset()) -> None:
        """``every_org_creators``: the ``created_by`` values of callers acting in every org."""
        if len(key) < _KEY_BYTES:
            raise ValueError(f"an execution grant key has at least {_KEY_BYTES} bytes")
        self._key = key
        self._every_org_creators = every_org_creators

    @staticmethod
    def ephemeral(every_org_creators: frozenset[str] = frozenset()) -> ExecutionGrants:
        """A key for this process only (servers without a data directory: tests)."""
        return ExecutionGrants(secrets.token_bytes(_KEY_BYTES), every_org_creators)

    @staticmethod
    def in_data_dir(
        data_dir: Path, every_org_creators: frozenset[str] = frozenset()
    ) -> ExecutionGrants:
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
            return ExecutionGrants(key, every_org_creators)
        key = secrets.token_bytes(_KEY_BYTES)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
            handle.flush()
            os.fsync(handle.fileno())
        return ExecutionGrants(key, every_org_creators)

    def issue(self, execution_id: str, org: str, created_by: str = "") -> secret_pb2.ExecutionGrant:
        """The grant of ``execution_id`` in ``org``, created by ``created_by`` (audit name)."""
        every_org = bool(created_by) and created_by in self._every_org_creators
        return secret_pb2.ExecutionGrant(
            execution_id=execution_id,
            org=org,
            every_org=every_org,
            mac=self._mac(execution_id, org, every_org),
        )

    def verify(self, grant: secret_pb2.ExecutionGrant, execution_id: str) -> bool:
        """True if ``grant`` was issued by this server for ``execution_id``."""
        if not grant.mac or grant.execution_id != execution_id:
            return False
        return hmac.compare_digest(
            grant.mac, self._mac(grant.execution_id, grant.org, grant.every_org)
        )

    def _mac(self, execution_id: str, org: str, every_org: bool) -> bytes:
        parts = [_LABEL, execution_id.encode(), org.encode()]
        if every_org:
            parts.append(_EVERY_ORG)
        # Length-prefixed fields: ("a", "bc") and ("ab", "c") never collide.
        message = b"".join(len(part).to_bytes(4, "big") + part for part in parts)
        return hmac.new(self._key, message, hashlib.sha256).digest()
