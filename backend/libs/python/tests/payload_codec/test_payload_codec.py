"""The AES-GCM payload codec: round trip, rotation, tampering, key configuration."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from stigmer_common.payload_codec import (
    ENCODING,
    KEY_ID_METADATA,
    AesGcmPayloadCodec,
    KeyRing,
    PayloadKeyError,
    load_keyring,
)
from temporalio.api.common.v1 import Payload
from temporalio.converter import default


def _payload(value: object) -> Payload:
    return default().payload_converter.to_payloads([value])[0]


async def test_round_trip_hides_the_value() -> None:
    codec = AesGcmPayloadCodec(KeyRing.generate())
    clear = _payload({"password": "hunter2-secret"})
    [sealed] = await codec.encode([clear])
    assert sealed.metadata["encoding"] == ENCODING
    assert sealed.metadata[KEY_ID_METADATA] == b"k1"
    assert b"hunter2" not in sealed.SerializeToString()
    [opened] = await codec.decode([sealed])
    assert opened == clear


async def test_rotation_decrypts_old_payloads_and_encrypts_with_new_key() -> None:
    old = KeyRing.generate("k1")
    [sealed_old] = await AesGcmPayloadCodec(old).encode([_payload("a")])
    rotated = AesGcmPayloadCodec(old.rotated("k2"))
    [opened] = await rotated.decode([sealed_old])
    assert default().payload_converter.from_payloads([opened])[0] == "a"
    [sealed_new] = await rotated.encode([_payload("b")])
    assert sealed_new.metadata[KEY_ID_METADATA] == b"k2"
    # A codec that only knows the old key cannot read the new payload, and says why.
    with pytest.raises(PayloadKeyError, match="'k2', which is not in the keyring"):
        await AesGcmPayloadCodec(old).decode([sealed_new])


async def test_tampered_payload_fails_clearly() -> None:
    codec = AesGcmPayloadCodec(KeyRing.generate())
    [sealed] = await codec.encode([_payload("value")])
    data = bytearray(sealed.data)
    data[-1] ^= 0x01
    tampered = Payload(metadata=dict(sealed.metadata), data=bytes(data))
    with pytest.raises(PayloadKeyError, match="failed authentication"):
        await codec.decode([tampered])


async def test_relabelled_key_id_fails_authentication() -> None:
    ring = KeyRing.generate("k1").rotated("k2")
    codec = AesGcmPayloadCodec(KeyRing(current="k1", keys=ring.keys))
    [sealed] = await codec.encode([_payload("value")])
    relabelled = Payload(metadata={"encoding": ENCODING, KEY_ID_METADATA: b"k2"}, data=sealed.data)
    with pytest.raises(PayloadKeyError, match="failed authentication"):
        await codec.decode([relabelled])


async def test_unencrypted_payload_passes_through() -> None:
    codec = AesGcmPayloadCodec(KeyRing.generate())
    clear = _payload(42)
    assert await codec.decode([clear]) == [clear]


def test_default_key_file_is_generated_0600_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "payload-keys.json"
    first = load_keyring({}, default_path=path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    second = load_keyring({}, default_path=path)
    assert first == second


def test_env_keys_first_is_current(tmp_path: Path) -> None:
    k1 = base64.b64encode(b"\x01" * 32).decode()
    k2 = base64.b64encode(b"\x02" * 32).decode()
    ring = load_keyring({"STIGMER_PAYLOAD_KEYS": f"new={k2},old={k1}"}, default_path=tmp_path / "x")
    assert ring.current == "new"
    assert set(ring.keys) == {"new", "old"}
    assert not (tmp_path / "x").exists()


def test_key_file_env(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    ring = KeyRing.generate("prod-1")
    path.write_text(ring.to_json())
    assert load_keyring({"STIGMER_PAYLOAD_KEY_FILE": str(path)}) == ring


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"STIGMER_PAYLOAD_KEYS": "nokey"}, "expected 'kid=base64key'"),
        ({"STIGMER_PAYLOAD_KEYS": "k=!!"}, "not valid base64"),
        ({"STIGMER_PAYLOAD_KEYS": "k=" + base64.b64encode(b"short").decode()}, "needs 32"),
        ({"STIGMER_PAYLOAD_KEY_FILE": "/nonexistent/keys.json"}, "does not exist"),
    ],
)
def test_bad_key_config_names_the_problem(env: dict[str, str], message: str) -> None:
    with pytest.raises(PayloadKeyError, match=message):
        load_keyring(env)


def test_bad_key_file_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text('{"current": "k9", "keys": {"k1": "AAAA"}}')
    with pytest.raises(PayloadKeyError, match=r"needs 32|not in the keyring"):
        load_keyring({"STIGMER_PAYLOAD_KEY_FILE": str(path)})
