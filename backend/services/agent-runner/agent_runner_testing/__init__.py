"""Test support of the agent-runner: a scripted OpenAI-compatible model server, a counter MCP server, an in-memory agent API."""
