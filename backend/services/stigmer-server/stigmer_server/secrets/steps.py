"""Sealing Environment and ExecutionContext secrets on write, redacting them on read."""

from __future__ import annotations

from collections.abc import Callable

from google.protobuf.message import Message

from stigmer_server.dependencies import Dependencies
from stigmer_server.pipeline.context import RequestContext
from stigmer_server.secrets.sealed_values import presented, seal_data


class SealSecrets:
    """Seals ``spec.data`` secrets before the resource is persisted.

    Runs under the write lock after ``LoadExisting`` (on update), so a secret
    sent back without its value can keep the stored one.
    """

    name = "seal-secrets"

    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    async def run(self, ctx: RequestContext) -> None:
        sealer = self._deps.sealer
        if sealer is not None:
            seal_data(ctx.require_resource(), ctx.existing, sealer)


def secret_presenter(deps: Dependencies) -> Callable[[Message], Message]:
    """How Environments and ExecutionContexts are shown: secrets redacted.

    Shown as stored only with protection switched off (the leak test's control).
    """
    if deps.sealer is None:
        return lambda resource: resource
    return presented
