"""The spec's error for a secret a workflow may not read: `authorization`, status 403."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from stigmer.engine.v1.contract_temporal import AUTHORIZATION_ERROR

AUTHORIZATION_ERROR_TYPE = AUTHORIZATION_ERROR


class SecretAccessError(Exception):
    """A workflow asked for a secret that does not exist or that it did not declare.

    dsl.md ("Secret"): runtimes must raise an error of type ``authorization`` with
    status 403. The message names the secrets but never a value.
    """

    status = 403
    type = AUTHORIZATION_ERROR_TYPE
    title = "Secret access denied"

    def __init__(self, detail: str, *, names: Sequence[str]) -> None:
        super().__init__(detail)
        self.detail = detail
        self.names = tuple(names)

    def problem(self, instance: str = "/") -> dict[str, Any]:
        """RFC 7807 problem details, the shape the engine's errors use."""
        return {
            "type": self.type,
            "status": self.status,
            "title": self.title,
            "detail": self.detail,
            "instance": instance,
        }
