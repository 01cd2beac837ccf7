"""Temporal activities doing the DSL engine's I/O (HTTP, gRPC, OpenAPI, processes).

Build them with :func:`workflow_runner.activities.io_activities.build_io_activities`
and register the returned callables on the engine's worker.
"""
