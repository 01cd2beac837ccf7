"""The token and cost limits of one execution, summed over its model calls.

Usage is what the provider reports with each reply (LangChain's
``usage_metadata``); the cost prices it with the agent's per-million token
prices. Both are checked after every model call, so a run stops before the
next step once it is over a limit; the steps done stay checkpointed.
"""

from __future__ import annotations

from langchain_core.messages.ai import UsageMetadata
from stigmer.agent.v1 import api_pb2 as agent_api

_PER_MILLION = 1_000_000


class TokenLimitExceeded(Exception):
    """An execution's model calls used more tokens than its agent allows."""


class CostLimitExceeded(Exception):
    """An execution's model calls cost more than its agent's ``limits.max_cost_usd``."""


class UsageBudget:
    """Accumulates the usage of one execution's model calls against its agent's limits."""

    def __init__(self, limits: agent_api.AgentLimits) -> None:
        self._max_total_tokens = limits.max_total_tokens
        self._max_cost_usd = limits.max_cost_usd
        self._input_price = limits.input_token_price_usd
        self._output_price = limits.output_token_price_usd
        self.input_tokens = 0
        self.output_tokens = 0
        self.total_tokens = 0

    @property
    def cost_usd(self) -> float:
        """US dollars of the usage so far at the agent's prices (0 without prices)."""
        return (
            self.input_tokens * self._input_price + self.output_tokens * self._output_price
        ) / _PER_MILLION

    def add(self, usage: UsageMetadata) -> None:
        """Count one model call's usage.

        Raises:
            TokenLimitExceeded: the calls so far used more than ``max_total_tokens``.
            CostLimitExceeded: the calls so far cost more than ``max_cost_usd``.
        """
        self.input_tokens += usage.get("input_tokens", 0)
        self.output_tokens += usage.get("output_tokens", 0)
        self.total_tokens += usage.get("total_tokens", 0)
        if self._max_total_tokens and self.total_tokens > self._max_total_tokens:
            raise TokenLimitExceeded(
                f"the model calls used {self.total_tokens} tokens, more than the agent's "
                f"limits.max_total_tokens ({self._max_total_tokens})"
            )
        spent = self.cost_usd
        if self._max_cost_usd and spent > self._max_cost_usd:
            raise CostLimitExceeded(
                f"the model calls cost ${spent:.6f} ({self.input_tokens} input, "
                f"{self.output_tokens} output tokens), more than the agent's "
                f"limits.max_cost_usd (${self._max_cost_usd:.6f})"
            )
