"""The activity that fetches a workflow's declared secrets from the provider.

Secrets are fetched in an activity (I/O) and arrive in the workflow as an
activity result, which the payload codec encrypts in history like every other
payload. A lookup failure is the spec's `authorization` error, non-retryable:
retrying cannot make a missing secret appear.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from workflow_runner.secrets.errors import AUTHORIZATION_ERROR_TYPE, SecretAccessError
from workflow_runner.secrets.provider import SecretProvider

LOAD_SECRETS_ACTIVITY = "stigmer.secrets.Load"


@dataclass
class LoadSecretsInput:
    """Which secrets to fetch: the workflow's ``use.secrets`` list.

    ``execution_id`` names the platform execution whose secrets these are (its
    ExecutionContext and environments); empty for a `dsl` run.
    """

    names: list[str] = field(default_factory=list)
    execution_id: str | None = None


def authorization_failure(error: SecretAccessError) -> ApplicationError:
    """The Temporal failure carrying the 403 problem details."""
    return ApplicationError(
        error.detail, error.problem(), type=AUTHORIZATION_ERROR_TYPE, non_retryable=True
    )


class SecretActivities:
    """Activities reading secrets from one provider, chosen when the worker starts."""

    def __init__(self, provider: SecretProvider | None) -> None:
        self._provider = provider

    @activity.defn(name=LOAD_SECRETS_ACTIVITY)
    async def load_secrets(self, request: LoadSecretsInput) -> dict[str, Any]:
        """Values of the requested secrets (empty request -> empty map, no I/O)."""
        if not request.names:
            return {}
        if self._provider is None:
            raise authorization_failure(
                SecretAccessError(
                    f"secret(s) {', '.join(repr(n) for n in request.names)} requested but no "
                    "secret provider is configured (use --secrets FILE or STIGMER_SECRETS_FILE)",
                    names=request.names,
                )
            )
        try:
            return dict(await self._provider.resolve(request.names, request.execution_id))
        except SecretAccessError as exc:
            raise authorization_failure(exc) from None
