"""What the CLI accepts as JSON/YAML input, checked before anything is sent.

Three limits, each named in the one-line error: JSON numbers are finite (``NaN``
and ``Infinity`` are not JSON, and a server could not store them); documents
nest at most :data:`MAX_NESTING` levels (deeper ones would exhaust Python's
recursion while being read or converted); a message sent to stigmer-server
nests at most :data:`PROTOBUF_MAX_DEPTH` protobuf messages (the decoder's
limit on both ends: a JSON object level takes three, a list two, a nested task about eight).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from google.protobuf import struct_pb2
from google.protobuf.message import DecodeError, Message
from stigmer.workflowexecution.v1 import api_pb2 as execution_api

from stigmer_cli.errors import UsageError

MAX_NESTING = 100
PROTOBUF_MAX_DEPTH = 100


def nesting_depth(value: Any) -> int:
    """How many mappings/lists deep ``value`` goes (a scalar is 0); iterative, any depth."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        stack.extend((child, depth) for child in children)
    return deepest


def check_nesting(value: Any, what: str) -> None:
    """Raise a one-line :class:`UsageError` if ``value`` nests deeper than :data:`MAX_NESTING`."""
    depth = nesting_depth(value)
    if depth > MAX_NESTING:
        raise UsageError(f"{what}: nested {depth} levels deep; the limit is {MAX_NESTING} levels")


def check_finite(value: Any, what: str) -> None:
    """Refuse NaN and infinities anywhere in ``value`` (YAML's ``.nan``, ``.inf``), naming where."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, where = stack.pop()
        if isinstance(item, Mapping):
            stack.extend((child, f"{where}.{key}") for key, child in item.items())
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{index}]") for index, child in enumerate(item))
        elif isinstance(item, float) and not math.isfinite(item):
            raise UsageError(
                f"{what}: {where.lstrip('.') or 'value'}: {item} is not a JSON number "
                "(numbers must be finite)"
            )


def too_deep_to_read(what: str) -> UsageError:
    """The error for a document whose reader ran out of recursion (far past the limit)."""
    return UsageError(f"{what}: nested too deep to read; the limit is {MAX_NESTING} levels")


def _refuse_constant(name: str) -> float:
    raise ValueError(name)


def parse_json(text: str, what: str) -> Any:
    """``text`` as strict JSON: finite numbers only, at most :data:`MAX_NESTING` levels."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise UsageError(f"{what}: not valid JSON ({error.msg} at position {error.pos})") from None
    except ValueError as error:  # NaN, Infinity, -Infinity (Python's json accepts them)
        raise UsageError(
            f"{what}: {error} is not a JSON number (JSON numbers are finite)"
        ) from None
    except RecursionError:
        raise too_deep_to_read(what) from None
    check_nesting(value, what)
    return value


def check_message_depth(message: Message, what: str) -> None:
    """Refuse a message the server could not decode (deeper than :data:`PROTOBUF_MAX_DEPTH`).

    The round trip runs the same decoder as the server, so the check is exact.
    """
    try:
        type(message).FromString(message.SerializeToString())
    except DecodeError:
        raise message_too_deep(what) from None


def check_input_depth(value: Mapping[str, Any], what: str) -> None:
    """Refuse an execution input the server could not decode, before connecting to it."""
    execution = execution_api.WorkflowExecution()
    struct = struct_pb2.Struct()
    struct.update(value)
    execution.spec.input.CopyFrom(struct)
    check_message_depth(execution, what)


def message_too_deep(what: str) -> UsageError:
    return UsageError(
        f"{what}: nested too deep for a protobuf message; the limit is "
        f"{PROTOBUF_MAX_DEPTH} nested messages (a JSON object level takes 3, a list 2, a nested task about 8)"
    )
