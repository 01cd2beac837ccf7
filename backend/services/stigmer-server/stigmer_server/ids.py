"""Resource ids: ``{kind prefix}-{lowercase ULID}``.

The prefix comes from the ``id_prefix`` option of the ``ApiResourceKind`` enum
value, so it is declared once in apis/. ULIDs sort by creation time, which is
what makes "list oldest first" a plain key-order scan in the store. Within one
millisecond python-ulid draws fresh randomness, which would break that order, so
this generator increments the previous ULID instead (the ULID spec's monotonic
mode).
"""

from __future__ import annotations

import functools
import threading
import time

from stigmer.commons.v1 import kind_pb2
from ulid import ULID

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


# Options are fixed at import, and every request asks for its kind's: read each once.
@functools.cache
def kind_id_prefix(kind: int) -> str:
    """The ``id_prefix`` option of an ``ApiResourceKind`` value.

    Raises:
        ValueError: The enum value has no prefix (e.g. UNSPECIFIED).
    """
    value = kind_pb2.ApiResourceKind.DESCRIPTOR.values_by_number[kind]
    prefix = str(value.GetOptions().Extensions[kind_pb2.id_prefix])
    if not prefix:
        raise ValueError(f"ApiResourceKind {value.name} declares no id_prefix")
    return prefix


@functools.cache
def kind_name(kind: int) -> str:
    """The ``kind_name`` option of an ``ApiResourceKind`` value ("Workflow", ...)."""
    value = kind_pb2.ApiResourceKind.DESCRIPTOR.values_by_number[kind]
    return str(value.GetOptions().Extensions[kind_pb2.kind_name])


class MonotonicUlids:
    """Thread-safe generator of strictly increasing lowercase ULID strings."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0

    def next(self) -> str:
        """A ULID greater than every one this generator returned before."""
        with self._lock:
            candidate = int.from_bytes(ULID().bytes, "big")
            now_ms = time.time_ns() // 1_000_000
            if candidate >> 80 < now_ms:  # clock read between the two calls
                candidate = (now_ms << 80) | (candidate & ((1 << 80) - 1))
            if candidate <= self._last:
                candidate = self._last + 1
            self._last = candidate
            return _encode(candidate)


def _encode(value: int) -> str:
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


class IdGenerator:
    """Makes resource ids for any kind."""

    def __init__(self) -> None:
        self._ulids = MonotonicUlids()

    def new_id(self, kind: int) -> str:
        """A new ``{prefix}-{ulid}`` id for ``kind``."""
        return f"{kind_id_prefix(kind)}-{self._ulids.next()}"
