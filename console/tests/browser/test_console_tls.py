"""The gateway over TLS to a stigmer-server that serves TLS only (the CLI's variables)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from console_platform import API_KEY, USER_ENTRY, child_env, stop, wait_for_port
from stigmer_testing.server_process import free_port, start_server
from stigmer_testing.tls import write_test_certificates

pytestmark = pytest.mark.integration


async def test_the_console_reaches_a_tls_server_with_the_ca_file(tmp_path: Path) -> None:
    certs = write_test_certificates(tmp_path / "tls")
    server = start_server(
        tmp_path / "data",
        log_path=tmp_path / "server.log",
        env={
            "STIGMER_TLS_CERT_FILE": str(certs.cert_file),
            "STIGMER_TLS_KEY_FILE": str(certs.key_file),
            "STIGMER_API_KEYS": USER_ENTRY.line(),
            # How the readiness probe trusts the server (as a runner would).
            "STIGMER_SERVICE_CA_FILE": str(certs.ca_file),
            # No Temporal: reads answer without it.
            "TEMPORAL_HOST_PORT": f"127.0.0.1:{free_port()}",
        },
    )
    consoles: list[subprocess.Popen[bytes]] = []

    def console(**env: str) -> str:
        address = f"127.0.0.1:{free_port()}"
        log = tmp_path / f"console-{len(consoles)}.log"
        with log.open("ab") as out:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "stigmer_console",
                    "--listen",
                    address,
                    "--server",
                    server.address,
                ],
                env=child_env(dict(env)),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        consoles.append(process)
        wait_for_port(address, process, log)
        return f"http://{address}/api/workflows"

    try:
        trusted = console(STIGMER_CA_FILE=str(certs.ca_file))
        plaintext = console(STIGMER_USE_TLS="false")
        headers = {"Authorization": f"Bearer {API_KEY}"}
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(60)) as session:
            async with session.get(trusted, headers=headers) as reply:
                assert reply.status == 200, await reply.text()
                assert (await reply.json()) == {"items": []}
            async with session.get(plaintext, headers=headers) as reply:
                assert reply.status == 502
                assert "stigmer-server is not reachable" in (await reply.json())["error"]
    finally:
        for process in consoles:
            stop(process)
        server.stop()


def test_a_bad_tls_setting_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "stigmer_console", "--listen", f"127.0.0.1:{free_port()}"],
        env=child_env({"STIGMER_CA_FILE": str(tmp_path / "missing.pem")}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr == (
        f"stigmer-console: STIGMER_CA_FILE '{tmp_path / 'missing.pem'}' cannot be read: "
        "No such file or directory\n"
    )
