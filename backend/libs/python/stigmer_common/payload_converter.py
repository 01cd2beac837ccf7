"""How Stigmer's Temporal payloads are encoded before the codec seals them.

The SDK's default converter writes a protobuf message as ``json/protobuf``:
``json_format`` walks every field in Python on both sides, and a status with a
hundred task entries (each with a Struct input and output) costs milliseconds
to write and more to read (timestamps are parsed back with ``strptime``). It was
the largest single item in profiles of the server's orchestration worker and of
the runner's progress reports. Every payload is encrypted by the codec anyway,
so the JSON's readability in history is never seen; the ``binary/protobuf``
encoding is the message's own wire format (upb, in C) and every Temporal SDK
reads it.

Decoding still accepts ``json/protobuf``: histories written before this change
(and by other tools) replay and are read as before.
"""

from __future__ import annotations

from temporalio.converter import (
    BinaryNullPayloadConverter,
    BinaryPlainPayloadConverter,
    BinaryProtoPayloadConverter,
    CompositePayloadConverter,
    JSONPlainPayloadConverter,
    JSONProtoPayloadConverter,
)

__all__ = ["StigmerPayloadConverter"]


class StigmerPayloadConverter(CompositePayloadConverter):
    """The SDK's default converters with binary protobuf ahead of JSON protobuf.

    Encoding takes the first converter that accepts a value, so messages are
    written ``binary/protobuf``; decoding picks by the payload's ``encoding``,
    so ``json/protobuf`` payloads still read. Plain JSON stays last, as in the
    SDK's default (it raises on types it does not know).
    """

    def __init__(self) -> None:
        super().__init__(
            BinaryNullPayloadConverter(),
            BinaryPlainPayloadConverter(),
            BinaryProtoPayloadConverter(),
            JSONProtoPayloadConverter(),
            JSONPlainPayloadConverter(),
        )
