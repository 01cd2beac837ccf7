"""The Serverless Workflow DSL 1.0.x as a language, shared by server, runner and CLI.

Public surface:

* :mod:`.loader` turns YAML/JSON text into a validated :class:`~.model.WorkflowDefinition`
  (the engine's definition checks: structure, flow targets, jq expressions, durations).
* :mod:`.converter` maps a Workflow spec proto to a DSL document and back.
* :mod:`.errors` holds :class:`~.errors.WorkflowError` (RFC 7807 problem details).

Nothing here runs a workflow; the engine (``workflow_runner.engine``) does.
"""
