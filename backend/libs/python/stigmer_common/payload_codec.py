"""Encrypt every Temporal payload with AES-GCM, so no value is clear text in history.

Temporal stores workflow inputs, activity results, signal arguments and failure
details as payloads in its history. Secrets and business data travel through all
of them, so the codec encrypts *every* payload, not only the ones we think are
sensitive: a missed one would leak silently.

Key rotation: each encrypted payload names its key id in metadata. The codec
encrypts with the keyring's current key and decrypts with whichever known key the
payload names, so a new key can be made current while histories written under the
old one stay readable for as long as the old key is kept in the ring.

Key configuration, read once at start-up (first match wins):

1. ``STIGMER_PAYLOAD_KEYS``: ``kid=base64key[,kid=base64key...]``; the first is current.
2. ``STIGMER_PAYLOAD_KEY_FILE``: a key file (format below).
3. The default key file ``<user config dir>/stigmer/payload-keys.json``, generated
   with mode 0600 on first use, so a local ``dsl run`` is encrypted with no setup.

Key file format (JSON): ``{"current": "k1", "keys": {"k1": "<base64 32 bytes>"}}``.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import platformdirs
import temporalio.converter
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverter,
    DefaultFailureConverterWithEncodedAttributes,
    FailureConverter,
    PayloadCodec,
)

from stigmer_common.payload_converter import StigmerPayloadConverter

__all__ = [
    "ENCODING",
    "KEY_ID_METADATA",
    "AesGcmPayloadCodec",
    "KeyRing",
    "PayloadKeyError",
    "default_key_file",
    "encrypted_data_converter",
    "generate_key_file",
    "load_keyring",
]

ENCODING = b"binary/stigmer-aes256gcm"
"""Value of the ``encoding`` metadata of an encrypted payload."""

KEY_ID_METADATA = "stigmer-key-id"
"""Metadata entry naming the key an encrypted payload was sealed with."""

KEYS_ENV = "STIGMER_PAYLOAD_KEYS"
KEY_FILE_ENV = "STIGMER_PAYLOAD_KEY_FILE"
_NONCE_BYTES = 12
_KEY_BYTES = 32


class PayloadKeyError(Exception):
    """A key is missing, malformed, or a payload cannot be decrypted with it."""


@dataclass(frozen=True)
class KeyRing:
    """The keys the codec knows: one current key for encryption, all for decryption.

    Attributes:
        current: id of the key new payloads are encrypted with.
        keys: key id -> 32-byte AES key.
    """

    current: str
    keys: Mapping[str, bytes]

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise PayloadKeyError(f"current key id {self.current!r} is not in the keyring")
        for kid, key in self.keys.items():
            if not kid:
                raise PayloadKeyError("a key id in the keyring is empty")
            if len(key) != _KEY_BYTES:
                raise PayloadKeyError(
                    f"key {kid!r} is {len(key)} bytes; AES-256-GCM needs {_KEY_BYTES}"
                )

    @staticmethod
    def generate(kid: str = "k1") -> KeyRing:
        """A keyring holding one freshly generated random key."""
        return KeyRing(current=kid, keys={kid: AESGCM.generate_key(bit_length=256)})

    def rotated(self, new_kid: str) -> KeyRing:
        """This keyring plus a new random current key; old keys stay for decryption."""
        if new_kid in self.keys:
            raise PayloadKeyError(f"key id {new_kid!r} already exists")
        keys = dict(self.keys)
        keys[new_kid] = AESGCM.generate_key(bit_length=256)
        return KeyRing(current=new_kid, keys=keys)

    def to_json(self) -> str:
        """The key file representation (holds secret material: write it 0600)."""
        return json.dumps(
            {
                "current": self.current,
                "keys": {k: base64.b64encode(v).decode("ascii") for k, v in self.keys.items()},
            },
            indent=2,
        )

    @staticmethod
    def from_json(text: str, *, origin: str) -> KeyRing:
        """Parse a key file; ``origin`` names it in errors."""
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PayloadKeyError(f"{origin}: not valid JSON ({exc})") from exc
        if not isinstance(raw, dict):
            raise PayloadKeyError(f"{origin}: expected an object with 'current' and 'keys'")
        current = raw.get("current")
        keys = raw.get("keys")
        if not isinstance(current, str):
            raise PayloadKeyError(f"{origin}: field 'current' must be a key id string")
        if not isinstance(keys, dict) or not keys:
            raise PayloadKeyError(f"{origin}: field 'keys' must be a non-empty object")
        return KeyRing(
            current=current,
            keys={str(k): _decode_key(v, f"{origin}: keys.{k}") for k, v in keys.items()},
        )


def _decode_key(value: object, where: str) -> bytes:
    if not isinstance(value, str):
        raise PayloadKeyError(f"{where}: expected a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PayloadKeyError(f"{where}: not valid base64 ({exc})") from exc


def default_key_file() -> Path:
    """Where a local run keeps its generated keyring."""
    return Path(platformdirs.user_config_dir("stigmer")) / "payload-keys.json"


def generate_key_file(path: Path) -> KeyRing:
    """Create ``path`` holding a new keyring, readable by its owner only.

    The file is created with ``O_EXCL`` and mode 0600 in one call, so there is no
    window where the key sits on disk with wider permissions, and two processes
    racing on first start cannot overwrite each other's key.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    ring = KeyRing.generate()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(ring.to_json())
    return ring


def load_keyring(
    environ: Mapping[str, str] | None = None, *, default_path: Path | None = None
) -> KeyRing:
    """Read the keyring from the environment or key file (see module docstring).

    Args:
        environ: the environment to read (defaults to ``os.environ``).
        default_path: the key file used when no variable is set (defaults to
            :func:`default_key_file`); generated when absent.
    """
    env = os.environ if environ is None else environ
    inline = env.get(KEYS_ENV, "").strip()
    if inline:
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for item in inline.split(","):
            kid, sep, value = item.strip().partition("=")
            if not sep or not kid:
                raise PayloadKeyError(f"{KEYS_ENV}: expected 'kid=base64key', got {item!r}")
            keys[kid] = _decode_key(value, f"{KEYS_ENV}: key {kid!r}")
            order.append(kid)
        return KeyRing(current=order[0], keys=keys)
    file_name = env.get(KEY_FILE_ENV, "").strip()
    if file_name:
        path = Path(file_name)
        if not path.is_file():
            raise PayloadKeyError(f"{KEY_FILE_ENV}: key file {path} does not exist")
        return KeyRing.from_json(path.read_text(encoding="utf-8"), origin=str(path))
    path = default_path or default_key_file()
    try:
        return generate_key_file(path)
    except FileExistsError:
        return KeyRing.from_json(path.read_text(encoding="utf-8"), origin=str(path))


class AesGcmPayloadCodec(PayloadCodec):
    """Temporal payload codec sealing each payload with AES-256-GCM.

    The whole serialized payload (its metadata included: the encoding name tells
    what the value is) becomes the ciphertext; the key id is bound as associated
    data, so relabelling a payload with another key id fails authentication too.
    """

    def __init__(self, keyring: KeyRing) -> None:
        self._keyring = keyring
        self._ciphers = {kid: AESGCM(key) for kid, key in keyring.keys.items()}

    @property
    def keyring(self) -> KeyRing:
        return self._keyring

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encode_one(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decode_one(p) for p in payloads]

    def encode_one(self, payload: Payload) -> Payload:
        """Encrypt one payload with the current key."""
        kid = self._keyring.current
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._ciphers[kid].encrypt(nonce, payload.SerializeToString(), kid.encode("utf-8"))
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID_METADATA: kid.encode("utf-8")},
            data=nonce + sealed,
        )

    def decode_one(self, payload: Payload) -> Payload:
        """Decrypt one payload with the key it names.

        Payloads not produced by this codec pass through unchanged (e.g. a
        history written before encryption was switched on).

        Raises:
            PayloadKeyError: unknown key id, or the payload was altered.
        """
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        kid = payload.metadata.get(KEY_ID_METADATA, b"").decode("utf-8", "replace")
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise PayloadKeyError(
                f"payload was encrypted with key {kid!r}, which is not in the keyring "
                f"(known: {sorted(self._ciphers)}); add the old key to decrypt it"
            )
        data = payload.data
        if len(data) <= _NONCE_BYTES:
            raise PayloadKeyError(f"encrypted payload (key {kid!r}) is truncated")
        try:
            clear = cipher.decrypt(data[:_NONCE_BYTES], data[_NONCE_BYTES:], kid.encode("utf-8"))
        except InvalidTag as exc:
            raise PayloadKeyError(
                f"encrypted payload (key {kid!r}) failed authentication: "
                "it was altered or sealed with a different key"
            ) from exc
        result = Payload()
        result.ParseFromString(clear)
        return result


def encrypted_data_converter(
    keyring: KeyRing, *, encode_failures: bool | None = None
) -> DataConverter:
    """Stigmer's payload converter with every payload sealed by :class:`AesGcmPayloadCodec`.

    Messages are written as binary protobuf (see :mod:`.payload_converter`).

    Failures too: their message and stack trace (which may quote a secret: a
    ``raise`` title, an HTTP error naming its URL) move into the encoded
    attributes payload, so history shows only "Encoded failure".
    ``encode_failures`` defaults to on; only ``STIGMER_SECRET_PROTECTION=off``
    (the leak test's control run) turns it off.

    Clients and workers of one deployment must share the same keyring, or a
    worker cannot read what the client wrote.
    """
    if encode_failures is None:
        from stigmer_common.secret_redaction import protection_enabled

        encode_failures = protection_enabled()
    failures: type[FailureConverter] = (
        DefaultFailureConverterWithEncodedAttributes if encode_failures else DefaultFailureConverter
    )
    return dataclasses.replace(
        temporalio.converter.default(),
        payload_converter_class=StigmerPayloadConverter,
        payload_codec=AesGcmPayloadCodec(keyring),
        failure_converter_class=failures,
    )
