"""The platform side of the runner: stigmer-server executions run on the DSL engine.

``ExecuteWorkflow`` (runner queue) reads the execution's workflow from
stigmer-server, converts it to DSL YAML and starts the engine, then returns
pending; the engine reports per-task progress to stigmer-server and, at the
end, completes the paused activity by its task token.
"""
