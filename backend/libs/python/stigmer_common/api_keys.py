"""API keys: their format, the salted scrypt hashes the server stores, and key entries.

A key is ``stg_<key id>_<secret>``: the id travels inside the key so the server
verifies exactly one stored hash per call (a slow hash per configured key would
make every call cost N scrypts). The id is not secret; the secret part is 32
random bytes (base32, no padding).

The server never stores keys, only entries ``<id>:<role>:<org>:<hash>`` where
hash is ``scrypt$<n>$<r>$<p>$<salt b64>$<digest b64>`` (standard-library
``hashlib.scrypt``; the parameters are part of the hash so they can be raised
later without invalidating existing entries). ``org`` may be ``*`` for a key of
every org (an operator's admin key, or the platform's runner, which serves
every org's executions from one task queue).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

ROLES = ("admin", "user", "runner")
#: ``org`` of a key that is not bound to one org.
ALL_ORGS = "*"
KEY_PREFIX = "stg_"

# RFC 7914 recommends N=2^14, r=8, p=1 for interactive logins (~16 MiB, tens of ms).
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
_SALT_BYTES = 16
_DIGEST_BYTES = 32
_MAX_MEM = 128 * 1024 * 1024

_KEY_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_ORG = re.compile(r"^(\*|[a-z0-9][a-z0-9-]{0,62})$")


class KeyEntryError(ValueError):
    """A key entry (or a part of one) is malformed; the message says which part."""


@dataclass(frozen=True)
class KeyEntry:
    """One configured key: who it is, and the hash its secret must match."""

    key_id: str
    role: str
    org: str
    key_hash: str = field(repr=False)

    def line(self) -> str:
        """The entry as configured (``STIGMER_API_KEYS`` / ``STIGMER_API_KEYS_FILE``)."""
        return f"{self.key_id}:{self.role}:{self.org}:{self.key_hash}"


def check_key_id(key_id: str) -> str:
    if not _KEY_ID.match(key_id):
        raise KeyEntryError(
            f"key id {key_id!r} must be 1-63 lowercase letters, digits or '-' "
            "(starting with a letter or digit)"
        )
    return key_id


def check_role(role: str) -> str:
    if role not in ROLES:
        raise KeyEntryError(f"role {role!r} must be one of {', '.join(ROLES)}")
    return role


def check_org(org: str) -> str:
    if not _ORG.match(org):
        raise KeyEntryError(f"org {org!r} must be '*' or a slug (lowercase letters, digits, '-')")
    return org


def hash_secret(key: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """A fresh salted scrypt hash of ``key`` in the stored format."""
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = hashlib.scrypt(
        key.encode(), salt=salt, n=n, r=r, p=p, maxmem=_MAX_MEM, dklen=_DIGEST_BYTES
    )
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def verify_secret(key: str, key_hash: str) -> bool:
    """True when ``key`` hashes to ``key_hash`` (constant-time comparison).

    Slow on purpose (one scrypt); call it off the event loop.
    """
    n, r, p, salt, expected = _parse_hash(key_hash)
    digest = hashlib.scrypt(
        key.encode(), salt=salt, n=n, r=r, p=p, maxmem=_MAX_MEM, dklen=len(expected)
    )
    return hmac.compare_digest(digest, expected)


def new_key(key_id: str, role: str, org: str, *, n: int = SCRYPT_N) -> tuple[str, KeyEntry]:
    """A new key and the entry the server needs to accept it.

    Returns:
        (the key, shown once and never stored; the entry to configure).
    """
    check_key_id(key_id)
    check_role(role)
    check_org(org)
    key = f"{KEY_PREFIX}{key_id}_{base64.b32encode(secrets.token_bytes(32)).decode().rstrip('=').lower()}"
    return key, KeyEntry(key_id, role, org, hash_secret(key, n=n))


def key_id_of(key: str) -> str | None:
    """The id inside a presented key, or None when it is not in the key format."""
    if not key.startswith(KEY_PREFIX):
        return None
    key_id, sep, secret = key[len(KEY_PREFIX) :].rpartition("_")
    if not sep or not secret or not _KEY_ID.match(key_id):
        return None
    return key_id


def parse_entry(text: str) -> KeyEntry:
    """One ``<id>:<role>:<org>:<hash>`` entry.

    Raises:
        KeyEntryError: names the part that is wrong (never echoes the hash).
    """
    parts = text.strip().split(":")
    if len(parts) != 4:
        raise KeyEntryError(
            "an entry must be <id>:<role>:<org>:<scrypt hash> "
            "(create one with `stigmer keys create`)"
        )
    key_id, role, org, key_hash = parts
    check_key_id(key_id)
    check_role(role)
    check_org(org)
    _parse_hash(key_hash)
    return KeyEntry(key_id, role, org, key_hash)


def _parse_hash(key_hash: str) -> tuple[int, int, int, bytes, bytes]:
    parts = key_hash.split("$")
    try:
        if len(parts) != 6 or parts[0] != "scrypt":
            raise ValueError
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, digest = _unb64(parts[4]), _unb64(parts[5])
    except ValueError:
        raise KeyEntryError("the hash must be scrypt$<n>$<r>$<p>$<salt>$<digest>") from None
    if n < 2 or n & (n - 1) or r < 1 or p < 1 or not salt or not digest:
        raise KeyEntryError("the hash has invalid scrypt parameters")
    return n, r, p, salt, digest


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
