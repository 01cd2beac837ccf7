"""The configured API keys: presented key -> :class:`Identity`, or None.

A presented key names its entry (``stg_<id>_<secret>``), whose salted scrypt
hash is checked once, off the event loop (scrypt takes tens of milliseconds
and releases the GIL). Verified keys are remembered in memory by a SHA-256 of
the key, so only a key's first call pays the slow hash; an unknown or wrong
secret for a known id pays it every time. A key naming no configured id is
refused at once: ids are not secret, and garbage must not cost a slow hash.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence

from stigmer_common.api_keys import KeyEntry, key_id_of, verify_secret

from stigmer_server.auth.identity import Identity


class KeyStore:
    def __init__(self, entries: Sequence[KeyEntry]) -> None:
        if not entries:
            raise ValueError("KeyStore needs at least one key entry")
        self._entries = {e.key_id: e for e in entries}
        self._verified: dict[bytes, Identity] = {}

    def __len__(self) -> int:
        return len(self._entries)

    async def authenticate(self, key: str) -> Identity | None:
        """The identity of ``key``; None when it matches no configured entry."""
        if not key:
            return None
        fingerprint = hashlib.sha256(key.encode()).digest()
        known = self._verified.get(fingerprint)
        if known is not None:
            return known
        key_id = key_id_of(key)
        entry = self._entries.get(key_id) if key_id else None
        if entry is None or not await asyncio.to_thread(verify_secret, key, entry.key_hash):
            return None
        identity = Identity(entry.key_id, entry.role, entry.org)
        self._verified[fingerprint] = identity
        return identity
