"""The ``spec.data`` of Environments and ExecutionContexts: seal, present, open.

Both kinds hold ``map<string, *Value>`` whose values have ``value``,
``is_secret`` and ``sealed`` (a ``stigmer.commons.v1.SealedValue``); the
functions here work on either. A secret is stored with an empty ``value`` and
its sealed form; it is presented with only the key id and fingerprint.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

from google.protobuf.message import Message
from stigmer.commons.v1 import secret_pb2
from stigmer_common.secret_seal import SealedSecret, SecretSealer

from stigmer_server.errors import InvalidArgument


def data_of(resource: Message) -> MutableMapping[str, Any]:
    """``spec.data`` of an Environment or ExecutionContext."""
    data: MutableMapping[str, Any] = getattr(resource, "spec").data  # noqa: B009
    return data


def to_proto(sealed: SealedSecret) -> secret_pb2.SealedValue:
    return secret_pb2.SealedValue(
        key_id=sealed.key_id,
        fingerprint=sealed.fingerprint,
        wrapped_key=sealed.wrapped_key,
        ciphertext=sealed.ciphertext,
    )


def from_proto(sealed: secret_pb2.SealedValue) -> SealedSecret:
    return SealedSecret(
        key_id=sealed.key_id,
        fingerprint=sealed.fingerprint,
        wrapped_key=sealed.wrapped_key,
        ciphertext=sealed.ciphertext,
    )


def seal_data(resource: Message, existing: Message | None, sealer: SecretSealer) -> None:
    """Seals every secret of ``resource`` in place (before it is stored).

    A secret sent with an empty ``value`` and the fingerprint of the stored one
    keeps the stored one: what a Get returned can be edited and applied back.
    Anything else a client puts in ``sealed`` is not trusted.
    """
    stored = data_of(existing) if existing is not None else {}
    for name, item in data_of(resource).items():
        if not item.is_secret:
            item.ClearField("sealed")
            continue
        if item.value:
            item.sealed.CopyFrom(to_proto(sealer.seal(item.value)))
            item.value = ""
            continue
        previous = stored.get(name)
        if (
            item.HasField("sealed")
            and previous is not None
            and previous.HasField("sealed")
            and item.sealed.fingerprint == previous.sealed.fingerprint
        ):
            item.sealed.CopyFrom(previous.sealed)
            continue
        if item.HasField("sealed"):
            raise InvalidArgument(
                "a secret without a value must carry the stored secret's fingerprint "
                "(send the value to change it)",
                field=f"spec.data[{name}].value",
            )


def presented(resource: Message) -> Message:
    """A copy fit for an API response: secrets show key id and fingerprint only."""
    data = data_of(resource)
    if not any(item.HasField("sealed") or item.is_secret for item in data.values()):
        return resource
    shown = type(resource)()
    shown.CopyFrom(resource)
    for item in data_of(shown).values():
        if item.is_secret:
            item.value = ""  # stored unsealed only with protection off; never shown
        if item.HasField("sealed"):
            item.sealed.ClearField("wrapped_key")
            item.sealed.ClearField("ciphertext")
    return shown


def opened(resource: Message, sealer: SecretSealer | None) -> Iterator[tuple[str, str, bool]]:
    """(name, clear value, is_secret) of every entry of ``spec.data``."""
    for name, item in data_of(resource).items():
        if item.HasField("sealed") and item.sealed.ciphertext:
            if sealer is None:
                raise RuntimeError("a sealed secret is stored but no key ring is loaded")
            yield name, sealer.open(from_proto(item.sealed)), True
        else:
            yield name, item.value, bool(item.is_secret)


def rewrap_data(resource: Message, sealer: SecretSealer) -> bool:
    """Re-encrypts every sealed secret not under the current key; True if any was."""
    changed = False
    for item in data_of(resource).values():
        if item.HasField("sealed") and item.sealed.ciphertext:
            sealed = from_proto(item.sealed)
            if sealer.needs_rewrap(sealed):
                item.sealed.CopyFrom(to_proto(sealer.rewrap(sealed)))
                changed = True
    return changed


def seal_clear_secrets(resource: Message, sealer: SecretSealer) -> bool:
    """Seals secrets stored in clear (written before sealing existed); True if any."""
    changed = False
    for item in data_of(resource).values():
        if item.is_secret and item.value:
            item.sealed.CopyFrom(to_proto(sealer.seal(item.value)))
            item.value = ""
            changed = True
    return changed
