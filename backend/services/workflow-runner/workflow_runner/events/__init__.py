"""Event delivery across executions: a Temporal-native registry routing CloudEvents.

Pieces: :mod:`.registry` (the registry workflow), :mod:`.publisher` (client-side
signal-with-start), :mod:`.activities` (how workflow code reaches it),
:mod:`.workflow_bus` (the engine's ``EventBus`` hook), :mod:`.lifecycle` (lifecycle
events observer), :mod:`.http_endpoint` (CloudEvents over HTTP), :mod:`.cloudevent`,
:mod:`.filters`, :mod:`.correlation`.
"""
