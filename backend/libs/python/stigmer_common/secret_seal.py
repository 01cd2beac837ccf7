"""Envelope encryption of stored secret values under the payload key ring.

Each value gets its own random 256-bit data key: the data key encrypts the
value, and the ring's current key wraps the data key (both AES-256-GCM). The
sealed form names the ring key, so a value stays readable while that key is in
the ring, and :meth:`SecretSealer.rewrap` re-encrypts it under the current key
after a rotation (a fresh data key too, so nothing sealed under the old key
remains). The same ring as the payload codec: one set of keys to manage and
rotate per deployment.

Associated data binds each layer to what it belongs to: the wrapped key to its
key id, the ciphertext to the wrapped key, so a ciphertext moved next to
another value's key, or relabelled with another key id, fails to open.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from stigmer_common.payload_codec import KeyRing, PayloadKeyError

__all__ = ["FINGERPRINT_PREFIX", "SealedSecret", "SecretSealError", "SecretSealer"]

FINGERPRINT_PREFIX = "hmac-sha256:"
_NONCE_BYTES = 12
_FINGERPRINT_LABEL = b"stigmer secret fingerprint v1"
_FINGERPRINT_HEX = 32  # 128 bits: plenty to tell values apart, half the HMAC


class SecretSealError(PayloadKeyError):
    """A sealed value cannot be opened: unknown key, wrong key, or altered."""


@dataclass(frozen=True)
class SealedSecret:
    """What is stored instead of a secret value (see the module docstring)."""

    key_id: str
    fingerprint: str
    wrapped_key: bytes
    ciphertext: bytes


class SecretSealer:
    """Seals and opens secret values with one key ring."""

    def __init__(self, keyring: KeyRing) -> None:
        self._keyring = keyring
        self._ciphers = {kid: AESGCM(key) for kid, key in keyring.keys.items()}

    @property
    def current_key_id(self) -> str:
        return self._keyring.current

    def fingerprint(self, value: str, key_id: str | None = None) -> str:
        """Keyed fingerprint of ``value`` (under ``key_id``, default the current key).

        Keyed, not a plain hash: a short secret (a PIN, a word) cannot be found
        by hashing guesses without the ring key.
        """
        kid = key_id or self._keyring.current
        key = self._ring_key(kid)
        derived = hmac.new(key, _FINGERPRINT_LABEL, hashlib.sha256).digest()
        digest = hmac.new(derived, value.encode("utf-8"), hashlib.sha256).hexdigest()
        return FINGERPRINT_PREFIX + digest[:_FINGERPRINT_HEX]

    def seal(self, value: str) -> SealedSecret:
        """``value`` sealed under the current ring key with a new data key."""
        kid = self._keyring.current
        data_key = AESGCM.generate_key(bit_length=256)
        wrapped = _encrypt(self._ciphers[kid], data_key, kid.encode("utf-8"))
        ciphertext = _encrypt(AESGCM(data_key), value.encode("utf-8"), wrapped)
        return SealedSecret(
            key_id=kid,
            fingerprint=self.fingerprint(value, kid),
            wrapped_key=wrapped,
            ciphertext=ciphertext,
        )

    def open(self, sealed: SealedSecret) -> str:
        """The clear value.

        Raises:
            SecretSealError: the key is not in the ring, or the sealed value was
                altered or sealed under a different key with the same id.
        """
        cipher = self._ciphers.get(sealed.key_id)
        if cipher is None:
            raise SecretSealError(
                f"secret was sealed with key {sealed.key_id!r}, which is not in the key ring "
                f"(known: {sorted(self._ciphers)}); add that key to open it"
            )
        try:
            data_key = _decrypt(cipher, sealed.wrapped_key, sealed.key_id.encode("utf-8"))
            clear = _decrypt(AESGCM(data_key), sealed.ciphertext, sealed.wrapped_key)
        except (InvalidTag, ValueError) as exc:
            raise SecretSealError(
                f"secret sealed with key {sealed.key_id!r} failed authentication: "
                "it was altered, or sealed with a different key under that id"
            ) from exc
        return clear.decode("utf-8")

    def needs_rewrap(self, sealed: SealedSecret) -> bool:
        return sealed.key_id != self._keyring.current

    def rewrap(self, sealed: SealedSecret) -> SealedSecret:
        """``sealed`` re-encrypted under the current key (itself if already current)."""
        if not self.needs_rewrap(sealed):
            return sealed
        return self.seal(self.open(sealed))

    def _ring_key(self, kid: str) -> bytes:
        key = self._keyring.keys.get(kid)
        if key is None:
            raise SecretSealError(f"key {kid!r} is not in the key ring")
        return key


def _encrypt(cipher: AESGCM, clear: bytes, associated: bytes) -> bytes:
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return nonce + cipher.encrypt(nonce, clear, associated)


def _decrypt(cipher: AESGCM, sealed: bytes, associated: bytes) -> bytes:
    if len(sealed) <= _NONCE_BYTES:
        raise ValueError("sealed data is truncated")
    return cipher.decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], associated)
