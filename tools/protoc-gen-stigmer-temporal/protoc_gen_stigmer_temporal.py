"""protoc plugin: Temporal contract options -> typed Python modules (placeholder)."""

import sys

from google.protobuf.compiler import plugin_pb2


def main() -> None:
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    response = plugin_pb2.CodeGeneratorResponse()
    response.supported_features = plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    del request
    sys.stdout.buffer.write(response.SerializeToString())
