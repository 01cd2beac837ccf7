"""`call: agent`: the engine's activity creating AgentExecutions on stigmer-server."""
