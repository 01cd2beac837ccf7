"""Failures of an agent run that another attempt would not fix."""

from __future__ import annotations

from temporalio.exceptions import ApplicationError

#: Declared non-retryable in the contract (ExecuteGraphton's retry policy).
AGENT_SPEC_ERROR = "AgentSpecError"
#: The model provider refused the request (a bad key, an unknown model); also declared.
MODEL_REQUEST_REJECTED = "ModelRequestRejected"


def agent_spec_error(message: str) -> ApplicationError:
    """The agent cannot run as specified (unknown provider, bad MCP server...)."""
    return ApplicationError(message, type=AGENT_SPEC_ERROR, non_retryable=True)
