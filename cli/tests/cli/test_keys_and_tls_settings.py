"""`stigmer keys create`, the CLI's TLS settings, and the local stack's runner key
(a `stigmer demo` against a server that requires keys)."""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from stigmer_cli.connection import TlsSettings, tls_from_env
from stigmer_cli.errors import UsageError
from stigmer_cli.stack_keys import STACK_RUNNER_KEY_ID, runner_key_env
from stigmer_common.api_keys import new_key, parse_entry, verify_secret

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "hello-stigmer.yaml"


def _stigmer(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    full_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STIGMER_API_KEY", "STIGMER_SERVICE_", "TEMPORAL_HOST_PORT"))
    }
    full_env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    full_env["STIGMER_PAYLOAD_KEYS"] = "k1=" + base64.b64encode(os.urandom(32)).decode()
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "stigmer_cli", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_keys_create_prints_the_key_once_and_appends_its_entry(tmp_path: Path) -> None:
    keys_file = tmp_path / "keys"
    result = _stigmer(
        "keys", "create", "--id", "ci", "--role", "user", "--org", "acme",
        "--append", str(keys_file), cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (key,) = result.stdout.splitlines()
    assert key.startswith("stg_ci_")
    (line,) = keys_file.read_text().splitlines()
    entry = parse_entry(line)
    assert (entry.key_id, entry.role, entry.org) == ("ci", "user", "acme")
    assert key not in line and verify_secret(key, entry.key_hash)
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600


def test_keys_create_refuses_a_bad_id_in_one_line(tmp_path: Path) -> None:
    result = _stigmer(
        "keys", "create", "--id", "Not OK", "--role", "user", "--org", "acme", cwd=tmp_path
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "stigmer: keys create: key id 'Not OK' must be 1-63 lowercase letters, digits or '-' "
        "(starting with a letter or digit)"
    )
    assert result.stdout == ""


def test_tls_settings_from_the_environment(tmp_path: Path) -> None:
    assert tls_from_env({}) is None
    assert tls_from_env({"STIGMER_USE_TLS": "false"}) is None
    assert tls_from_env({"STIGMER_USE_TLS": "true"}) == TlsSettings(None)
    ca = tmp_path / "ca.pem"
    ca.write_bytes(b"PEM")
    assert tls_from_env({"STIGMER_CA_FILE": str(ca)}) == TlsSettings(b"PEM")
    with pytest.raises(UsageError, match="STIGMER_USE_TLS must be true or false"):
        tls_from_env({"STIGMER_USE_TLS": "sometimes"})
    with pytest.raises(UsageError, match="STIGMER_CA_FILE '/nonexistent/ca' cannot be read"):
        tls_from_env({"STIGMER_CA_FILE": "/nonexistent/ca"})


def test_the_stack_mints_a_runner_key_only_when_the_server_needs_one() -> None:
    assert runner_key_env({}) == ({}, {})
    _, user = new_key("me", "user", "acme", n=2**4)
    assert runner_key_env({"STIGMER_API_KEYS": user.line(), "STIGMER_SERVICE_API_KEY": "k"}) == (
        {},
        {},
    )
    server, runner = runner_key_env({"STIGMER_API_KEYS": user.line()})
    first, minted = server["STIGMER_API_KEYS"].split(",")
    assert first == user.line()
    entry = parse_entry(minted)
    assert (entry.key_id, entry.role, entry.org) == (STACK_RUNNER_KEY_ID, "runner", "*")
    assert verify_secret(runner["STIGMER_SERVICE_API_KEY"], entry.key_hash)


def test_demo_with_keys_configured_runs_on_the_minted_runner_key(tmp_path: Path) -> None:
    user_key, user = new_key("demo-user", "user", "acme", n=2**4)
    result = _stigmer(
        "demo", str(EXAMPLE), "--input", '{"name": "Keys"}', "--data-dir", str(tmp_path / "d"),
        cwd=tmp_path,
        env={"STIGMER_API_KEYS": user.line(), "STIGMER_API_KEY": user_key},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr + _logs(tmp_path / "d" / "logs")
    assert '"Hello, Keys! Ran plan, run, report."' in result.stdout


def _logs(directory: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in sorted(directory.glob("*")))
