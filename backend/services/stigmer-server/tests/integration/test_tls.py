"""TLS: given a certificate and key the server speaks TLS only; clients trusting
its CA get through, plaintext clients and clients not trusting the CA do not."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from api_client import stubs
from conftest import start
from grpc_health.v1 import health_pb2, health_pb2_grpc
from stigmer.commons.v1 import io_pb2
from stigmer_server import kinds
from stigmer_server.config import ServerConfig, TlsFiles
from stigmer_testing.tls import write_test_certificates


async def test_tls_server_answers_clients_trusting_its_ca_only(tmp_path: Path) -> None:
    certs = write_test_certificates(tmp_path / "tls")
    config = ServerConfig.from_env(
        {
            "STIGMER_TLS_CERT_FILE": str(certs.cert_file),
            "STIGMER_TLS_KEY_FILE": str(certs.key_file),
        }
    )
    assert config.tls == TlsFiles(certs.cert_file, certs.key_file)
    server = await start(tmp_path / "data", tls=config.tls)
    try:
        trusted = grpc.ssl_channel_credentials(root_certificates=certs.ca_file.read_bytes())
        for host in ("127.0.0.1", "localhost"):
            address = f"{host}:{server.port}"
            async with grpc.aio.secure_channel(address, trusted) as channel:
                listed = await stubs(channel, kinds.SKILL).query.List(
                    io_pb2.ApiResourceListInput(), timeout=30
                )
                assert not listed.items

        async with grpc.aio.insecure_channel(server.address) as plaintext:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await health_pb2_grpc.HealthStub(plaintext).Check(
                    health_pb2.HealthCheckRequest(), timeout=10
                )
            assert caught.value.code() == grpc.StatusCode.UNAVAILABLE

        other = write_test_certificates(tmp_path / "other-ca")
        untrusted = grpc.ssl_channel_credentials(root_certificates=other.ca_file.read_bytes())
        async with grpc.aio.secure_channel(server.address, untrusted) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=10
                )
            assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        await server.stop()
