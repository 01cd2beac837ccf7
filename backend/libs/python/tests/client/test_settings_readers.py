"""Reading settings from the environment: flags, files, seconds, addresses, TLS and
the runners' stigmer-server + Temporal settings (same names, defaults and errors
in every process)."""

from __future__ import annotations

from pathlib import Path

import pytest
from stigmer_client.address import DEFAULT_SERVER, server_address
from stigmer_client.env import (
    SettingsError,
    env_address,
    env_flag,
    env_seconds,
    readable_file,
)
from stigmer_client.tls import ChannelTls, channel_tls, tls_from_env
from stigmer_runner.settings import RunnerConnections


@pytest.mark.parametrize(
    ("text", "expected"),
    [("true", True), ("1", True), (" YES ", True), ("false", False), ("0", False), ("no", False)],
)
def test_flags_accept_the_documented_spellings(text: str, expected: bool) -> None:
    assert env_flag({"F": text}, "F", default=not expected) is expected


def test_an_unset_or_empty_flag_is_its_default_and_a_bad_one_names_the_variable() -> None:
    assert env_flag({}, "F", default=True) is True
    assert env_flag({"F": "  "}, "F", default=False) is False
    with pytest.raises(SettingsError, match=r"^F must be true or false, got 'maybe'$"):
        env_flag({"F": "Maybe"}, "F", default=False)


def test_files_are_checked_readable_when_the_settings_are_read(tmp_path: Path) -> None:
    present = tmp_path / "ca.pem"
    present.write_bytes(b"pem")
    assert readable_file({"CA": f" {present} "}, "CA") == str(present)
    assert readable_file({}, "CA") == ""
    missing = tmp_path / "missing.pem"
    with pytest.raises(SettingsError) as refused:
        readable_file({"CA": str(missing)}, "CA")
    assert str(refused.value) == f"CA {str(missing)!r} cannot be read: No such file or directory"


def test_seconds_and_addresses_refuse_what_they_cannot_use() -> None:
    assert env_seconds({}, "S", 0.1) == 0.1
    assert env_seconds({"S": "2.5"}, "S", 0.1) == 2.5
    with pytest.raises(SettingsError, match="S must be a number of seconds, got 'soon'"):
        env_seconds({"S": "soon"}, "S", 0.1)
    with pytest.raises(SettingsError, match="S must not be negative"):
        env_seconds({"S": "-1"}, "S", 0.1)
    assert env_address({"A": ":8080"}, "A") == ":8080"
    assert env_address({}, "A") == ""
    for bad in ("localhost", "h:port", "h:70000"):
        with pytest.raises(SettingsError, match="A must be HOST:PORT"):
            env_address({"A": bad}, "A")


def test_the_server_address_has_one_name_an_older_alias_and_a_default() -> None:
    assert server_address({}) == DEFAULT_SERVER == "127.0.0.1:7234"
    assert server_address({"STIGMER_SERVICE_ENDPOINT": "b:2"}) == "b:2"
    both = {"STIGMER_SERVER": "a:1", "STIGMER_SERVICE_ENDPOINT": "b:2"}
    assert server_address(both) == "a:1"


def test_tls_is_off_on_with_system_roots_or_on_trusting_a_ca_file(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_bytes(b"-----BEGIN CERTIFICATE-----")
    assert tls_from_env({}) is None
    assert tls_from_env({"STIGMER_USE_TLS": "false"}) is None
    assert tls_from_env({"STIGMER_USE_TLS": "true"}) == ChannelTls(None)
    # A CA file implies TLS, and is read with the settings.
    assert tls_from_env({"STIGMER_CA_FILE": str(ca)}) == ChannelTls(ca.read_bytes())
    runner_names = {"use_tls_name": "STIGMER_SERVICE_USE_TLS", "ca_name": "STIGMER_SERVICE_CA_FILE"}
    assert tls_from_env({"STIGMER_USE_TLS": "true"}, **runner_names) is None
    with pytest.raises(SettingsError, match=r"^STIGMER_USE_TLS must be true or false"):
        tls_from_env({"STIGMER_USE_TLS": "on"})
    with pytest.raises(SettingsError, match=r"^STIGMER_SERVICE_CA_FILE .* cannot be read"):
        channel_tls(True, str(tmp_path / "gone.pem"), ca_name="STIGMER_SERVICE_CA_FILE")


def test_runner_connections_read_the_runner_names_and_defaults(tmp_path: Path) -> None:
    defaults = RunnerConnections(**RunnerConnections.fields_from_env({}))
    assert defaults == RunnerConnections()
    assert (defaults.stigmer_endpoint, defaults.temporal_host_port) == (
        "127.0.0.1:7234",
        "127.0.0.1:7233",
    )
    assert (defaults.stigmer_use_tls, defaults.temporal_namespace) == (False, "default")
    assert defaults.server_target().tls is None

    ca = tmp_path / "ca.pem"
    ca.write_bytes(b"roots")
    read = RunnerConnections(
        **RunnerConnections.fields_from_env(
            {
                "STIGMER_SERVICE_ENDPOINT": "server:1",
                "STIGMER_SERVICE_API_KEY": "stg_runner_secret",
                "STIGMER_SERVICE_CA_FILE": str(ca),
                "TEMPORAL_HOST_PORT": "temporal:2",
                "TEMPORAL_NAMESPACE": "ns",
            }
        )
    )
    assert read.stigmer_use_tls and read.stigmer_ca_file == str(ca)
    assert (read.temporal_host_port, read.temporal_namespace) == ("temporal:2", "ns")
    target = read.server_target()
    assert (target.address, target.api_key, target.tls) == (
        "server:1",
        "stg_runner_secret",
        ChannelTls(b"roots"),
    )
    # Keys never reach a log line through a repr.
    assert "stg_runner_secret" not in repr(read) + repr(target)
    with pytest.raises(SettingsError, match=r"^STIGMER_SERVICE_USE_TLS must be true or false"):
        RunnerConnections.fields_from_env({"STIGMER_SERVICE_USE_TLS": "sometimes"})
