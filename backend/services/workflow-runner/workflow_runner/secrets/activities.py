"""The activity that fetches a workflow's declared secrets from the provider.

Secrets are fetched in an activity (I/O) and arrive in the workflow as an
activity result, which the payload codec encrypts in history like every other
payload. A lookup failure is the spec's `authorization` error, non-retryable:
retrying cannot make a missing secret appear.
"""

from __future__ import annotations

from stigmer.engine.v1 import contract_pb2 as engine_contract
from stigmer.engine.v1.contract_temporal import LOAD_SECRETS
from temporalio.exceptions import ApplicationError

from workflow_runner.secrets.errors import AUTHORIZATION_ERROR_TYPE, SecretAccessError
from workflow_runner.secrets.provider import SecretProvider


def authorization_failure(error: SecretAccessError) -> ApplicationError:
    """The Temporal failure carrying the 403 problem details."""
    return ApplicationError(
        error.detail, error.problem(), type=AUTHORIZATION_ERROR_TYPE, non_retryable=True
    )


class SecretActivities:
    """Activities reading secrets from one provider, chosen when the worker starts."""

    def __init__(self, provider: SecretProvider | None) -> None:
        self._provider = provider

    @LOAD_SECRETS.defn
    async def load_secrets(
        self, request: engine_contract.LoadSecretsInput
    ) -> engine_contract.LoadSecretsOutput:
        """Values of the requested secrets (empty request -> empty map, no I/O)."""
        names = list(request.names)
        if not names:
            return engine_contract.LoadSecretsOutput()
        if self._provider is None:
            raise authorization_failure(
                SecretAccessError(
                    f"secret(s) {', '.join(repr(n) for n in names)} requested but no "
                    "secret provider is configured (use --secrets FILE or STIGMER_SECRETS_FILE)",
                    names=names,
                )
            )
        try:
            values = await self._provider.resolve(
                names,
                request.execution_id or None,
                request.grant if request.HasField("grant") else None,
            )
        except SecretAccessError as exc:
            raise authorization_failure(exc) from None
        output = engine_contract.LoadSecretsOutput()
        output.values.update(dict(values))
        return output
