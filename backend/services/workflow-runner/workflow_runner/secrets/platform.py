"""Secrets of a platform execution, from stigmer-server over gRPC.

An execution's values come from its instance's environments, in order (later
wins), then from its ExecutionContext(s), which override them: the
ExecutionContext holds what one run was given, the environments what every run
of the instance shares. Only names the workflow declares in ``use.secrets`` are
returned; a declared name nobody provides is the spec's authorization error.
Runs on the runner (an activity), never in workflow code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import grpc
from stigmer.commons.v1 import metadata_pb2
from stigmer.environment.v1 import api_pb2 as environment_api
from stigmer.executioncontext.v1 import io_pb2 as context_io
from stigmer.workflowexecution.v1 import api_pb2 as execution_api
from stigmer.workflowinstance.v1 import api_pb2 as instance_api

from workflow_runner.secrets.errors import SecretAccessError


class SecretSources(Protocol):
    """The stigmer-server reads the provider needs (the runner's API client)."""

    async def get_execution(self, execution_id: str) -> execution_api.WorkflowExecution: ...

    async def get_instance(self, instance_id: str) -> instance_api.WorkflowInstance: ...

    async def get_environment(
        self, reference: metadata_pb2.ApiResourceReference
    ) -> environment_api.Environment: ...

    async def list_execution_contexts(
        self, execution_id: str
    ) -> context_io.ExecutionContextList: ...


class ExecutionSecretProvider:
    """Resolves ``use.secrets`` for one platform execution (see the module docstring)."""

    def __init__(self, api: SecretSources) -> None:
        self._api = api

    async def resolve(
        self, names: Sequence[str], execution_id: str | None = None
    ) -> Mapping[str, Any]:
        if not execution_id:
            raise SecretAccessError(
                "secrets are resolved for a platform execution; this run has none",
                names=names,
            )
        values = await self._values(execution_id, names)
        missing = [name for name in names if name not in values]
        if missing:
            raise SecretAccessError(
                f"secret(s) {', '.join(repr(n) for n in missing)} not found in the "
                f"ExecutionContext or environments of execution {execution_id}",
                names=missing,
            )
        return {name: values[name] for name in names}

    async def _values(self, execution_id: str, names: Sequence[str]) -> dict[str, str]:
        try:
            execution = await self._api.get_execution(execution_id)
            values: dict[str, str] = {}
            instance_id = (
                execution.status.workflow_instance_id or execution.spec.workflow_instance_id
            )
            if instance_id:
                instance = await self._api.get_instance(instance_id)
                for reference in instance.spec.environment_refs:
                    environment = await self._api.get_environment(
                        _in_org(reference, instance.metadata.org)
                    )
                    values.update({k: v.value for k, v in environment.spec.data.items()})
            contexts = await self._api.list_execution_contexts(execution_id)
            for context in contexts.items:
                values.update({k: v.value for k, v in context.spec.data.items()})
        except grpc.aio.AioRpcError as error:
            if error.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED):
                raise SecretAccessError(
                    f"secrets of execution {execution_id} cannot be read: {error.details()}",
                    names=names,
                ) from None
            raise
        return values


def _in_org(
    reference: metadata_pb2.ApiResourceReference, org: str
) -> metadata_pb2.ApiResourceReference:
    """An empty org means the instance's own (as the server resolved it on write),
    not the server's default: a runner serving every org would otherwise read
    another org's environment of the same slug."""
    if reference.org:
        return reference
    scoped = metadata_pb2.ApiResourceReference()
    scoped.CopyFrom(reference)
    scoped.org = org
    return scoped
