"""``ExecuteServerlessWorkflow`` with the registry event bus, lifecycle events and secrets.

Registered under the same workflow type as the bare engine, so starters do not
care which one a worker hosts; a worker registers one or the other.

Secrets: when the starter passes none, the workflow's declared ``use.secrets``
are fetched through the secret activity (their values then live only in
encrypted payloads). Before that, every ``$secrets.<name>`` the definition reads
is checked against the declaration: reading an undeclared secret, or a declared
one the provider does not have, faults with the spec's ``authorization`` error
(status 403) before any task runs.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError
from temporalio.workflow import ContinueAsNewError

from workflow_runner.engine.errors import WorkflowError
from workflow_runner.engine.hooks import EngineHooks
from workflow_runner.engine.names import WORKFLOW_TYPE
from workflow_runner.engine.workflow import EngineInput, ExecuteServerlessWorkflow
from workflow_runner.events.lifecycle import LifecycleEventObserver
from workflow_runner.events.workflow_bus import RegistryEventBus
from workflow_runner.secrets.activities import LOAD_SECRETS_ACTIVITY, LoadSecretsInput
from workflow_runner.secrets.references import undeclared_secret_references
from workflow_runner.wiring.settings import RunSettings

with workflow.unsafe.imports_passed_through():
    import yaml


def _document_and_secrets(definition: str) -> tuple[dict[str, Any], list[str]]:
    try:
        data = yaml.safe_load(definition)
    except yaml.YAMLError:
        return {}, []  # the engine reports the definition error itself
    if not isinstance(data, dict):
        return {}, []
    document = data.get("document") if isinstance(data.get("document"), dict) else {}
    use = data.get("use") if isinstance(data.get("use"), dict) else {}
    declared = use.get("secrets") if isinstance(use, dict) else None
    names = [str(n) for n in declared] if isinstance(declared, list) else []
    return dict(document or {}), names


@workflow.defn(name=WORKFLOW_TYPE)
class WiredServerlessWorkflow(ExecuteServerlessWorkflow):
    """The engine plus registry events, lifecycle events and provider secrets."""

    _lifecycle: LifecycleEventObserver | None = None

    def hooks(self, params: EngineInput) -> EngineHooks:
        document, _ = _document_and_secrets(params.definition)
        bus = RegistryEventBus()
        observer = LifecycleEventObserver(
            bus, document, enabled=RunSettings.current().lifecycle_events
        )
        self._lifecycle = observer
        return EngineHooks(
            observer=observer, event_bus=bus, runtime_metadata=params.runtime_metadata
        )

    @workflow.run
    async def run(self, params: EngineInput) -> Any:
        if params.secrets is None and params.resume is None:
            params = replace(params, secrets=await self._load_secrets(params.definition))
        try:
            return await super().run(params)
        except ContinueAsNewError:
            # Lifecycle events still buffered would be lost with this run.
            if self._lifecycle is not None:
                await self._lifecycle.flush()
            raise

    async def _load_secrets(self, definition: str) -> dict[str, Any]:
        _, declared = _document_and_secrets(definition)
        undeclared = sorted(set(undeclared_secret_references(definition, declared)))
        if undeclared:
            raise WorkflowError.authorization(
                f"the workflow reads secret(s) {', '.join(undeclared)} that it does not "
                "declare in use.secrets",
                instance="/use/secrets",
            ).to_application_error()
        if not declared:
            return {}
        try:
            result = await workflow.execute_activity(
                LOAD_SECRETS_ACTIVITY,
                LoadSecretsInput(names=declared),
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_attempts=3),
                result_type=dict,
            )
        except ActivityError as exc:
            raise WorkflowError.from_failure(
                exc, instance="/use/secrets"
            ).to_application_error() from None
        return dict(result)
