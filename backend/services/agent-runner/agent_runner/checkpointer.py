"""The threads' checkpointer: SQLite in the data dir, or Postgres when a URL is configured.

Both are LangGraph's own savers (``langgraph-checkpoint-sqlite``,
``langgraph-checkpoint-postgres``), so the graph, its synchronous durability
and crash-resume are the same on either. The Postgres saver's tables are
created (or migrated) by ``setup()`` at start, as the SQLite one's are.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver

from agent_runner.settings import AgentRunnerSettings

#: Whether the saver's connection is open (a readiness check; cheap, no I/O).
IsOpen = Callable[[], bool]


async def open_checkpointer(
    settings: AgentRunnerSettings, stack: AsyncExitStack
) -> tuple[BaseCheckpointSaver[Any], IsOpen, str]:
    """The saver (closed with ``stack``), its open check, and where it keeps threads
    (for the log: the Postgres URL is not named, it may hold a password)."""
    if settings.checkpoint_url:
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

        postgres = await stack.enter_async_context(
            AsyncPostgresSaver.from_conn_string(settings.checkpoint_url)
        )
        await postgres.setup()
        return postgres, lambda: not postgres.conn.closed, "Postgres (STIGMER_AGENT_CHECKPOINT_URL)"
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    sqlite = await stack.enter_async_context(
        AsyncSqliteSaver.from_conn_string(str(settings.checkpoint_db))
    )
    await sqlite.setup()
    # aiosqlite has no public flag: its connection object is set while open.
    return (
        sqlite,
        lambda: getattr(sqlite.conn, "_connection", None) is not None,
        str(settings.checkpoint_db),
    )
