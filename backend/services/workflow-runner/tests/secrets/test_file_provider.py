"""The file secret provider, the load activity's 403 and the undeclared-reference scan."""

from __future__ import annotations

from pathlib import Path

import pytest
from stigmer.engine.v1.contract_pb2 import LoadSecretsInput
from stigmer_common.json_values import from_struct
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment
from workflow_runner.secrets import FileSecretProvider, SecretAccessError
from workflow_runner.secrets.activities import SecretActivities
from workflow_runner.secrets.file_provider import SecretsFileError
from workflow_runner.secrets.references import secret_references, undeclared_secret_references


async def test_yaml_and_json_files(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text("api:\n  username: bob\n  password: pw\ntoken: t\n")
    (tmp_path / "s.json").write_text('{"token": "j"}')
    assert await FileSecretProvider(tmp_path / "s.yaml").resolve(["api"]) == {
        "api": {"username": "bob", "password": "pw"}
    }
    assert await FileSecretProvider(tmp_path / "s.json").resolve(["token"]) == {"token": "j"}


async def test_missing_secret_is_403_naming_it_not_valuing_others(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text("token: supersecret\n")
    with pytest.raises(SecretAccessError) as caught:
        await FileSecretProvider(tmp_path / "s.yaml").resolve(["token", "nope"])
    assert caught.value.status == 403
    assert "'nope'" in str(caught.value)
    assert "supersecret" not in str(caught.value)
    assert caught.value.problem()["type"].endswith("/errors/authorization")


def test_env_names_the_file(tmp_path: Path) -> None:
    provider = FileSecretProvider.from_env({"STIGMER_SECRETS_FILE": str(tmp_path / "x.yaml")})
    assert provider is not None and provider.path == tmp_path / "x.yaml"
    assert FileSecretProvider.from_env({}) is None


def test_bad_files_are_clear_and_leak_nothing(tmp_path: Path) -> None:
    with pytest.raises(SecretsFileError, match="No such file"):
        FileSecretProvider(tmp_path / "absent.yaml").load()
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    with pytest.raises(SecretsFileError, match="map of secret name"):
        FileSecretProvider(tmp_path / "list.yaml").load()
    (tmp_path / "broken.yaml").write_text("a: [unclosed-secret-value\n")
    with pytest.raises(SecretsFileError) as caught:
        FileSecretProvider(tmp_path / "broken.yaml").load()
    assert "unclosed-secret-value" not in str(caught.value)


async def test_activity_raises_non_retryable_403(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text("a: 1\n")
    activities = SecretActivities(FileSecretProvider(tmp_path / "s.yaml"))
    env = ActivityEnvironment()
    assert from_struct(
        (await env.run(activities.load_secrets, LoadSecretsInput(names=["a"]))).values
    ) == {"a": 1}
    with pytest.raises(ApplicationError) as caught:
        await env.run(activities.load_secrets, LoadSecretsInput(names=["b"]))
    assert caught.value.non_retryable
    assert caught.value.details[0]["status"] == 403
    with pytest.raises(ApplicationError, match="no secret provider"):
        await env.run(SecretActivities(None).load_secrets, LoadSecretsInput(names=["b"]))


def test_reference_scan() -> None:
    expr = '${ { u: $secrets.api.username, t: $secrets["tok"], x: $secrets."odd-name" } }'
    assert secret_references(expr) == ["api", "tok", "odd-name"]
    assert undeclared_secret_references(expr, {"api", "tok"}) == ["odd-name"]
