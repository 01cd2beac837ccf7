"""Conversation threads: which LangGraph thread an execution continues.

A thread id is a pure function of the execution, so ``EnsureThread`` is
deterministic and idempotent, and every execution of a session lands on the
same checkpointed conversation.
"""

from __future__ import annotations

from stigmer.agentexecution.v1 import api_pb2


def thread_id_for(execution: api_pb2.AgentExecution) -> str:
    """``thread-{session}``; an execution without a session gets its own thread."""
    session = execution.status.session_id or execution.spec.session_id
    if session:
        return f"thread-{session}"
    return f"thread-{execution.metadata.id}"


def human_message_id(execution_id: str) -> str:
    """The id of an execution's user message in the thread (and in its status).

    The checkpoint is searched for it before the message is sent: a retried
    attempt finds it and resumes instead of sending it again.
    """
    return f"human-{execution_id}"
