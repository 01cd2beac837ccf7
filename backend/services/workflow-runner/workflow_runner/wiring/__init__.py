"""The engine with real hooks plugged in: event bus, lifecycle events, secrets, catalog.

The engine (``engine/``) runs standalone with no-op hooks; this package is where
the `dsl` command (and later the platform) gets a worker whose workflows reach
the event registry, fetch secrets from a provider and resolve sub-workflows.
"""
