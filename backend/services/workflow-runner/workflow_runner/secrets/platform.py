"""Secrets of a platform execution, from stigmer-server's runner-only RPC.

An execution's values come from its instance's environments, in order (later
wins), then from its ExecutionContext(s), which override them; the server
applies that precedence and opens the sealed values (``ResolveSecrets``: the
only call that returns a secret in clear, to a runner, for an execution that
has not ended, presenting the execution's grant: the server refuses a runner
without the grant it issued for that very execution). Only names the workflow
declares in ``use.secrets`` are
requested; a declared name nobody provides is the spec's authorization error.
Runs on the runner (an activity), never in workflow code. Every value resolved
is added to the process's redactor, so this runner's logs never show it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import grpc
from stigmer.commons.v1.secret_pb2 import ExecutionGrant
from stigmer_common.secret_redaction import process_redactor

from workflow_runner.secrets.errors import SecretAccessError


class SecretSources(Protocol):
    """The stigmer-server call the provider needs (the runner's API client)."""

    async def resolve_secrets(
        self, execution_id: str, names: Sequence[str], grant: ExecutionGrant | None
    ) -> Mapping[str, str]: ...


class ExecutionSecretProvider:
    """Resolves ``use.secrets`` for one platform execution (see the module docstring)."""

    def __init__(self, api: SecretSources) -> None:
        self._api = api

    async def resolve(
        self,
        names: Sequence[str],
        execution_id: str | None = None,
        grant: ExecutionGrant | None = None,
    ) -> Mapping[str, Any]:
        if not execution_id:
            raise SecretAccessError(
                "secrets are resolved for a platform execution; this run has none",
                names=names,
            )
        try:
            values = await self._api.resolve_secrets(execution_id, names, grant)
        except grpc.aio.AioRpcError as error:
            if error.code() in (
                grpc.StatusCode.NOT_FOUND,
                grpc.StatusCode.PERMISSION_DENIED,
                grpc.StatusCode.FAILED_PRECONDITION,
            ):
                raise SecretAccessError(
                    f"secrets of execution {execution_id} cannot be read: {error.details()}",
                    names=names,
                ) from None
            raise
        process_redactor().add(values.values())
        missing = [name for name in names if name not in values]
        if missing:
            raise SecretAccessError(
                f"secret(s) {', '.join(repr(n) for n in missing)} not found in the "
                f"ExecutionContext or environments of execution {execution_id}",
                names=missing,
            )
        return {name: values[name] for name in names}
