"""Build a FileDescriptorSet for ``buf/validate/validate.proto`` from the protovalidate wheel.

protovalidate 2.1 ships neither ``validate.proto`` nor ``validate_pb2.py``; it ships
a protobuf-py module whose serialized FileDescriptorProto we lift out (without
importing that runtime) and bundle with its well-known dependencies, so protoc can
take it through ``--descriptor_set_in`` and generate ``validate_pb2.py`` from it.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
from pathlib import Path

from google.protobuf import (
    descriptor_pb2,
    duration_pb2,
    field_mask_pb2,
    struct_pb2,
    timestamp_pb2,
)

VALIDATE_MODULE = "protovalidate._gen.buf.validate.validate_pb"


def _validate_file_descriptor() -> descriptor_pb2.FileDescriptorProto:
    spec = importlib.util.find_spec(VALIDATE_MODULE)
    if spec is None or spec.origin is None:
        raise SystemExit(f"{VALIDATE_MODULE} not found: is protovalidate installed?")
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, bytes):
            if node.value.startswith(b"\n\x1bbuf/validate/validate.proto"):
                return descriptor_pb2.FileDescriptorProto.FromString(node.value)
    raise SystemExit(f"no serialized buf/validate/validate.proto found in {spec.origin}")


def build() -> descriptor_pb2.FileDescriptorSet:
    fds = descriptor_pb2.FileDescriptorSet()
    # Dependencies first: protoc resolves imports inside the set in order.
    for module in (descriptor_pb2, duration_pb2, field_mask_pb2, timestamp_pb2, struct_pb2):
        fds.file.add().ParseFromString(module.DESCRIPTOR.serialized_pb)
    fds.file.append(_validate_file_descriptor())
    return fds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("output", help="where to write the binary FileDescriptorSet")
    args = parser.parse_args()
    Path(args.output).write_bytes(build().SerializeToString())


if __name__ == "__main__":
    main()
