"""The platform secret provider asks stigmer-server's runner-only ResolveSecrets.

(Which environments and contexts apply, and in which org, is the server's
business now: see stigmer-server's tests/integration/test_secrets.py.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest
from stigmer.commons.v1.secret_pb2 import ExecutionGrant
from stigmer_common.secret_redaction import process_redactor
from workflow_runner.secrets.errors import SecretAccessError
from workflow_runner.secrets.platform import ExecutionSecretProvider


class Server:
    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = dict(values)
        self.asked: list[tuple[str, list[str], ExecutionGrant | None]] = []

    async def resolve_secrets(
        self, execution_id: str, names: Sequence[str], grant: ExecutionGrant | None
    ) -> dict[str, str]:
        self.asked.append((execution_id, list(names), grant))
        return {k: v for k, v in self.values.items() if k in names}


async def test_resolves_declared_names_and_keeps_them_out_of_logs() -> None:
    server = Server({"TOKEN": "tok-runner-side-9f2", "OTHER": "x"})
    grant = ExecutionGrant(execution_id="wex-1", org="acme", mac=b"m" * 32)
    values = await ExecutionSecretProvider(server).resolve(["TOKEN"], "wex-1", grant)
    assert values == {"TOKEN": "tok-runner-side-9f2"}
    # The grant the engine carries is what the server is shown.
    assert server.asked == [("wex-1", ["TOKEN"], grant)]
    assert process_redactor().text("GET /tok-runner-side-9f2") == "GET /[REDACTED]"


async def test_a_name_nobody_provides_is_an_authorization_error() -> None:
    with pytest.raises(SecretAccessError, match="'MISSING' not found") as failed:
        await ExecutionSecretProvider(Server({})).resolve(["MISSING"], "wex-1")
    assert failed.value.names == ("MISSING",)
    with pytest.raises(SecretAccessError, match="platform execution"):
        await ExecutionSecretProvider(Server({})).resolve(["TOKEN"], None)
