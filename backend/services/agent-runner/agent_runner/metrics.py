"""The agent-runner's own metrics: model calls, tool calls and tokens.

A LangChain callback handler given to each run's config counts what really
happens: a resumed attempt does not count the steps its checkpoint replays,
only the calls it makes. The names live with every other Stigmer metric in
``stigmer_observability.metrics``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from stigmer_observability.metrics import AGENT_MODEL_CALLS, AGENT_TOKENS, AGENT_TOOL_CALLS


class AgentMetrics(BaseCallbackHandler):
    """Counts model calls (by provider and result), tool results and tokens."""

    # Counting is cheap and thread-safe: no need for LangChain's executor hop.
    run_inline = True

    def __init__(self) -> None:
        self._providers: dict[UUID, str] = {}

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        # Chat models name their provider in the run's metadata (LangSmith's ls_provider).
        self._providers[run_id] = str((metadata or {}).get("ls_provider") or "unknown")

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        provider = self._providers.pop(run_id, "unknown")
        AGENT_MODEL_CALLS.labels(provider=provider, result="ok").inc()
        for generations in response.generations:
            for generation in generations:
                message = generation.message if isinstance(generation, ChatGeneration) else None
                if isinstance(message, AIMessage) and message.usage_metadata:
                    usage = message.usage_metadata
                    AGENT_TOKENS.labels(direction="input").inc(usage["input_tokens"])
                    AGENT_TOKENS.labels(direction="output").inc(usage["output_tokens"])

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        provider = self._providers.pop(run_id, "unknown")
        AGENT_MODEL_CALLS.labels(provider=provider, result="error").inc()

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        # A tool that failed softly answers a ToolMessage with status "error".
        failed = getattr(output, "status", "success") == "error"
        AGENT_TOOL_CALLS.labels(result="error" if failed else "success").inc()

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        AGENT_TOOL_CALLS.labels(result="error").inc()
