"""Serverless Workflow DSL v1.0.x interpreter running as a Temporal workflow.

Public surface:

* :mod:`.loader` turns YAML/JSON text into a validated :class:`~.model.WorkflowDefinition`.
* :mod:`.workflow` holds the Temporal workflow type ``ExecuteServerlessWorkflow``.
* :mod:`.context` defines :class:`~.context.TaskContext`, the interface task runners code against.
* :mod:`.tasks.registry` maps task kinds to runners.
"""
