"""Envelope encryption of stored secrets: round trip, rotation, wrong keys, tampering."""

from __future__ import annotations

import dataclasses

import pytest
from stigmer_common.payload_codec import KeyRing
from stigmer_common.secret_seal import FINGERPRINT_PREFIX, SecretSealer, SecretSealError

VALUE = "tok-8f3e-very-secret"


def test_seal_hides_the_value_and_opens_back() -> None:
    sealer = SecretSealer(KeyRing.generate("k1"))
    sealed = sealer.seal(VALUE)
    assert sealed.key_id == "k1"
    assert VALUE.encode() not in sealed.ciphertext + sealed.wrapped_key
    assert VALUE not in sealed.fingerprint
    assert sealer.open(sealed) == VALUE
    # Each seal uses a fresh data key and nonces: equal values do not look equal.
    again = sealer.seal(VALUE)
    assert again.ciphertext != sealed.ciphertext and again.wrapped_key != sealed.wrapped_key


def test_fingerprint_is_keyed_stable_and_distinct() -> None:
    ring = KeyRing.generate("k1")
    sealer = SecretSealer(ring)
    assert sealer.seal(VALUE).fingerprint == sealer.seal(VALUE).fingerprint
    assert sealer.fingerprint(VALUE).startswith(FINGERPRINT_PREFIX)
    assert sealer.fingerprint(VALUE) != sealer.fingerprint(VALUE + "x")
    # Another ring (another deployment) gives another fingerprint: it is keyed.
    assert SecretSealer(KeyRing.generate("k1")).fingerprint(VALUE) != sealer.fingerprint(VALUE)


def test_rotation_re_encrypts_under_the_current_key() -> None:
    old_ring = KeyRing.generate("k1")
    sealed = SecretSealer(old_ring).seal(VALUE)
    rotated = old_ring.rotated("k2")
    sealer = SecretSealer(rotated)
    assert sealer.needs_rewrap(sealed)
    rewrapped = sealer.rewrap(sealed)
    assert rewrapped.key_id == "k2"
    assert rewrapped.ciphertext != sealed.ciphertext
    assert not sealer.needs_rewrap(rewrapped)
    assert sealer.rewrap(rewrapped) is rewrapped  # already current: unchanged
    # Re-encrypted for real: the old key can be dropped from the ring afterwards.
    only_new = KeyRing(current="k2", keys={"k2": rotated.keys["k2"]})
    assert SecretSealer(only_new).open(rewrapped) == VALUE
    with pytest.raises(SecretSealError, match="key 'k1', which is not in the key ring"):
        SecretSealer(only_new).open(sealed)


def test_wrong_key_under_the_same_id_fails_clearly() -> None:
    sealed = SecretSealer(KeyRing.generate("k1")).seal(VALUE)
    other = SecretSealer(KeyRing.generate("k1"))
    with pytest.raises(SecretSealError, match="failed authentication"):
        other.open(sealed)


def test_tampering_and_swapping_fail() -> None:
    sealer = SecretSealer(KeyRing.generate("k1"))
    sealed = sealer.seal(VALUE)
    flipped = bytes([sealed.ciphertext[-1] ^ 1])
    with pytest.raises(SecretSealError, match="failed authentication"):
        sealer.open(dataclasses.replace(sealed, ciphertext=sealed.ciphertext[:-1] + flipped))
    # A ciphertext moved next to another value's data key does not open.
    other = sealer.seal("another-secret")
    with pytest.raises(SecretSealError, match="failed authentication"):
        sealer.open(dataclasses.replace(sealed, wrapped_key=other.wrapped_key))
    with pytest.raises(SecretSealError, match="failed authentication"):
        sealer.open(dataclasses.replace(sealed, ciphertext=b"short"))
