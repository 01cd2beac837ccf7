"""The agent-runner: runs AgentExecutions (``EnsureThread``, ``ExecuteGraphton``) on LangGraph."""
