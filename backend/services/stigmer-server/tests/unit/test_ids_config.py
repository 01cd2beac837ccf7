"""Ids from the kind enum options; configuration from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from stigmer.commons.v1 import kind_pb2
from stigmer_server.config import ConfigError, ServerConfig
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
    keys = tmp_path / "keys"
    keys.write_text("# comment\nk2\n\nk3\n")
    config = ServerConfig.from_env(
        {
            "STIGMER_DATA_DIR": str(tmp_path),
            "STIGMER_API_KEYS": "k1, k2",
            "STIGMER_API_KEYS_FILE": str(keys),
            "TEMPORAL_NAMESPACE": "ns",
            "TEMPORAL_AGENT_EXECUTION_RUNNER_TASK_QUEUE": "q",
        }
    )
    assert config.grpc_address == "127.0.0.1:7234"
    assert config.api_keys == ("k1", "k2", "k3")
    assert config.temporal.namespace == "ns"
    assert config.temporal.queue_overrides == (("TEMPORAL_AGENT_EXECUTION_RUNNER_TASK_QUEUE", "q"),)
    assert "k1" not in repr(config)


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
    ],
)
def test_bad_config_names_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ServerConfig.from_env(env)
