"""Ids from the kind enum options; configuration from the environment."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from stigmer.commons.v1 import kind_pb2
from stigmer_common.api_keys import new_key
from stigmer_server.config import ConfigError, ServerConfig
from stigmer_server.dependencies import timestamp_now
from stigmer_server.ids import IdGenerator, MonotonicUlids, kind_id_prefix
from stigmer_server.kinds import ALL_KINDS


def test_every_kind_has_a_distinct_prefix() -> None:
    prefixes = [kind_id_prefix(k.kind) for k in ALL_KINDS]
    assert len(set(prefixes)) == len(ALL_KINDS)
    assert kind_id_prefix(kind_pb2.WORKFLOW) == "wfl"
    with pytest.raises(ValueError, match="no id_prefix"):
        kind_id_prefix(kind_pb2.API_RESOURCE_KIND_UNSPECIFIED)


def test_ids_are_lowercase_and_strictly_increasing() -> None:
    ulids = MonotonicUlids()
    values = [ulids.next() for _ in range(2000)]  # many within one millisecond
    assert values == sorted(values) and len(set(values)) == len(values)
    assert all(v == v.lower() and len(v) == 26 for v in values)
    assert IdGenerator().new_id(kind_pb2.AGENT_EXECUTION).startswith("aex-")


def test_config_defaults_and_overrides(tmp_path: Path) -> None:
    _, k1 = new_key("k1", "admin", "*", n=2)
    _, k2 = new_key("k2", "user", "acme", n=2)
    _, k3 = new_key("k3", "runner", "*", n=2)
    keys = tmp_path / "keys"
    keys.write_text(f"# comment\n{k2.line()}\n\n{k3.line()}\n")
    config = ServerConfig.from_env(
        {
            "STIGMER_DATA_DIR": str(tmp_path),
            "STIGMER_API_KEYS": f"{k1.line()}, {k2.line()}",
            "STIGMER_API_KEYS_FILE": str(keys),
            "TEMPORAL_NAMESPACE": "ns",
            "TEMPORAL_AGENT_EXECUTION_RUNNER_TASK_QUEUE": "q",
        }
    )
    assert config.grpc_address == "127.0.0.1:7234"
    assert config.api_keys == (k1, k2, k3)
    assert config.temporal.namespace == "ns"
    assert config.temporal.queue_overrides == (("TEMPORAL_AGENT_EXECUTION_RUNNER_TASK_QUEUE", "q"),)
    assert k1.key_hash not in repr(config)
    assert config.tls is None


def test_reconciliation_periods_default_and_override() -> None:
    default = ServerConfig.from_env({}).temporal
    assert (default.reconcile_interval_seconds, default.start_deadline_seconds) == (30.0, 600.0)
    tuned = ServerConfig.from_env(
        {"STIGMER_RECONCILE_INTERVAL_SECONDS": "0.5", "STIGMER_START_DEADLINE_SECONDS": "3"}
    ).temporal
    assert (tuned.reconcile_interval_seconds, tuned.start_deadline_seconds) == (0.5, 3.0)


def test_default_data_dir_is_the_user_data_dir() -> None:
    assert "stigmer" in str(ServerConfig.from_env({}).data_dir)
    assert not ServerConfig.from_env({}).auth_enabled


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"STIGMER_MAX_MESSAGE_BYTES": "big"}, "STIGMER_MAX_MESSAGE_BYTES must be an integer"),
        ({"STIGMER_MAX_MESSAGE_BYTES": "0"}, "must be positive"),
        ({"STIGMER_API_KEYS_FILE": "/nonexistent/keys"}, "cannot be read"),
        ({"STIGMER_RECONCILE_INTERVAL_SECONDS": "soon"}, "STIGMER_RECONCILE_INTERVAL_SECONDS"),
        ({"STIGMER_START_DEADLINE_SECONDS": "-1"}, "STIGMER_START_DEADLINE_SECONDS must be pos"),
        # A plaintext key where an entry belongs: refused, and not echoed.
        ({"STIGMER_API_KEYS": "ok:user:acme:scrypt$2$1$1$AA$AA, s3cret"}, "entry 2: an entry"),
        ({"STIGMER_API_KEYS": "a:boss:acme:scrypt$2$1$1$AA$AA"}, "role 'boss' must be one of"),
        ({"STIGMER_API_KEYS": "a:user:Acme Inc:scrypt$2$1$1$AA$AA"}, "org 'Acme Inc'"),
        ({"STIGMER_API_KEYS": "a:user:acme:sha256$x"}, "the hash must be scrypt"),
        ({"STIGMER_API_KEYS": "local:admin:*:scrypt$2$1$1$AA$AA"}, "'local' is reserved"),
        (
            {"STIGMER_API_KEYS": "a:user:x:scrypt$2$1$1$AA$AA,a:user:y:scrypt$2$1$1$AA$AA"},
            "'a' is configured twice",
        ),
        ({"STIGMER_TLS_CERT_FILE": "/etc/hostname"}, "must be set together"),
        (
            {"STIGMER_TLS_CERT_FILE": "/nonexistent/c", "STIGMER_TLS_KEY_FILE": "/etc/hostname"},
            "STIGMER_TLS_CERT_FILE '/nonexistent/c' cannot be read",
        ),
    ],
)
def test_bad_config_names_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        ServerConfig.from_env(env)
    assert "s3cret" not in str(caught.value)


def test_timestamp_now_is_the_wall_clock_in_seconds_and_nanos() -> None:
    before = time.time_ns()
    now = timestamp_now()
    after = time.time_ns()
    assert 0 <= now.nanos < 1_000_000_000
    assert before <= now.ToNanoseconds() <= after
