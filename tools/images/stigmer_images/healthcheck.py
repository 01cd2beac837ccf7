"""The image's health check: ``healthcheck TARGET`` exits 0 when TARGET answers.

TARGET is ``grpc://HOST:PORT`` (the gRPC health service reports SERVING;
``grpcs://`` over TLS, trusting ``STIGMER_SERVICE_CA_FILE`` when set),
``http://HOST:PORT/PATH`` (a 2xx answer) or ``tcp://HOST:PORT`` (a connection).
Written to stand alone in the image: only the standard library and grpcio.
"""

from __future__ import annotations

import os
import socket
import sys
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

TIMEOUT_SECONDS = 3.0


def _channel(address: str, *, secure: bool) -> grpc.Channel:
    if not secure:
        return grpc.insecure_channel(address)
    # A server with its own CA (STIGMER_TLS_CERT_FILE): trust the CA the clients use.
    ca_file = os.environ.get("STIGMER_SERVICE_CA_FILE") or os.environ.get("STIGMER_CA_FILE")
    roots = Path(ca_file).read_bytes() if ca_file else None
    return grpc.secure_channel(address, grpc.ssl_channel_credentials(root_certificates=roots))


def healthy(target: str) -> bool:
    parts = urlsplit(target)
    address = f"{parts.hostname}:{parts.port}"
    try:
        if parts.scheme in ("grpc", "grpcs"):
            with _channel(address, secure=parts.scheme == "grpcs") as channel:
                stub = health_pb2_grpc.HealthStub(channel)
                reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=TIMEOUT_SECONDS)
                return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)
        if parts.scheme in ("http", "https"):
            with urllib.request.urlopen(target, timeout=TIMEOUT_SECONDS) as answer:
                return 200 <= int(answer.status) < 300
        if parts.scheme == "tcp":
            with socket.create_connection((parts.hostname, parts.port), TIMEOUT_SECONDS):
                return True
    except Exception:  # any failure means "not healthy"
        return False
    return False


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: healthcheck grpc[s]://HOST:PORT | http[s]://HOST:PORT/PATH | tcp://HOST:PORT")
        return 2
    return 0 if healthy(argv[1]) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
