"""Serverless Workflow DSL v1.0.x interpreter running as a Temporal workflow.

Public surface:

* :mod:`stigmer_dsl.loader` (the shared DSL library) turns YAML/JSON text into the
  validated definition this engine runs.
* :mod:`.workflow` holds the Temporal workflow type ``ExecuteServerlessWorkflow``.
* :mod:`.context` defines :class:`~.context.TaskContext`, the interface task runners code against.
* :mod:`.tasks.registry` maps task kinds to runners.
"""
