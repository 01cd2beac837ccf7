"""A workflow runner for data converters that never read a serialization context.

The SDK lets a payload codec or converter vary with the workflow or activity a
payload belongs to (``WithSerializationContext``). To find that context it asks
the workflow instance, once per payload sequence in each of its three decode
and three encode passes; a sandboxed instance answers by running code inside
the sandbox (patching ``sys.modules`` and the builtins, then restoring them).
On our runners that came to ~15 sandbox entries per platform run, more CPU
than the workflow's own activations.

Our converters ignore the context (:func:`context_free`), so any answer gives
the same bytes. :class:`ContextFreeRunner` wraps a runner (the sandbox) and
answers "no context" itself; the SDK then uses the worker's context-free
converter. Activations still run in the wrapped runner, with its restrictions.
"""

from __future__ import annotations

from collections.abc import Sequence

from temporalio.bridge.proto.workflow_activation import WorkflowActivation
from temporalio.bridge.proto.workflow_completion import WorkflowActivationCompletion
from temporalio.converter import (
    DataConverter,
    SerializationContext,
    StorageDriverStoreContext,
    WorkflowSerializationContext,
)
from temporalio.worker import WorkflowInstance, WorkflowInstanceDetails, WorkflowRunner
from temporalio.workflow import Info, _Definition

__all__ = ["ContextFreeRunner", "context_free", "without_context_trips"]


def context_free(converter: DataConverter) -> bool:
    """Whether nothing in ``converter`` changes with a serialization context.

    The condition for :class:`ContextFreeRunner`, asked the SDK's way: given a
    context, the converter hands back itself (no codec, payload or failure
    converter takes one), and there is no external payload storage (its keys
    follow the context).
    """
    probe = WorkflowSerializationContext(namespace="probe", workflow_id="probe")
    return converter.external_storage is None and converter.with_context(probe) is converter


def without_context_trips(
    inner: WorkflowRunner, converter: DataConverter | None = None
) -> WorkflowRunner:
    """``inner`` wrapped in :class:`ContextFreeRunner`, unless ``converter`` takes contexts.

    ``converter`` is the worker's client's; None when the caller builds the
    runner before the client (replays, benchmarks) with a converter known to be
    context-free.
    """
    if converter is not None and not context_free(converter):
        return inner
    return ContextFreeRunner(inner)


class ContextFreeRunner(WorkflowRunner):
    """Runs workflows in ``inner``; answers serialization-context questions outside it.

    Only for workers whose client's data converter is :func:`context_free`.
    """

    def __init__(self, inner: WorkflowRunner) -> None:
        self.inner = inner

    def prepare_workflow(self, defn: _Definition) -> None:
        self.inner.prepare_workflow(defn)

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return _ContextFreeInstance(self.inner.create_instance(det))

    def set_worker_level_failure_exception_types(
        self, types: Sequence[type[BaseException]]
    ) -> None:
        self.inner.set_worker_level_failure_exception_types(types)


class _ContextFreeInstance(WorkflowInstance):
    def __init__(self, inner: WorkflowInstance) -> None:
        self._inner = inner

    def activate(self, act: WorkflowActivation) -> WorkflowActivationCompletion:
        return self._inner.activate(act)

    def get_serialization_context(self, command_info: object) -> SerializationContext | None:
        return None  # the worker's context-free converter; see the module docstring

    def get_external_store_context(self, command_info: object) -> StorageDriverStoreContext:
        return StorageDriverStoreContext(target=None)  # no external storage is configured

    def get_info(self) -> Info:
        return self._inner.get_info()

    def get_thread_id(self) -> int | None:
        return self._inner.get_thread_id()
