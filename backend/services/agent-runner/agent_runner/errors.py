"""Failures of an agent run that another attempt would not fix."""

from __future__ import annotations

from stigmer.agentexecution.v1.contract_temporal import (
    AGENT_SPEC_ERROR,
    MODEL_REQUEST_REJECTED_ERROR,
)
from temporalio.exceptions import ApplicationError

# Both are declared in the contract, and non-retryable in ExecuteGraphton's retry policy.
MODEL_REQUEST_REJECTED = MODEL_REQUEST_REJECTED_ERROR
__all__ = ["AGENT_SPEC_ERROR", "MODEL_REQUEST_REJECTED", "agent_spec_error"]


def agent_spec_error(message: str) -> ApplicationError:
    """The agent cannot run as specified (unknown provider, bad MCP server...)."""
    return ApplicationError(message, type=AGENT_SPEC_ERROR, non_retryable=True)
