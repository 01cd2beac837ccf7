"""ResolveSecrets and ResolveVariables: the RPCs returning secret values in clear, to runners only.

A workflow runner asks for the names its workflow declares (ResolveSecrets), an
agent runner for all of its execution's variables (ResolveVariables), for the
execution it runs: the caller needs the runner role and the execution's grant
(issued by the orchestration when it handed the execution over; see
``secrets.execution_grants``), and the execution must exist in the caller's org,
in the grant's org, and not have ended (a finished run has no business reading
secrets any more). A runner key alone reads nothing: a grant for another
execution, a forged one or none is PERMISSION_DENIED.
"""

from __future__ import annotations

import grpc
from google.protobuf.message import Message
from stigmer.agentexecution.v1 import secrets_pb2 as agent_secrets_pb2
from stigmer.agentexecution.v1 import secrets_pb2_grpc as agent_secrets_pb2_grpc
from stigmer.commons.v1 import secret_pb2
from stigmer.workflowexecution.v1 import secrets_pb2, secrets_pb2_grpc

from stigmer_server import kinds
from stigmer_server.api.error_mapping import call_mapped
from stigmer_server.api.method_table import MethodTable
from stigmer_server.auth.identity import PermissionDenied, require_role
from stigmer_server.dependencies import Dependencies
from stigmer_server.errors import FailedPrecondition, NotFound
from stigmer_server.execution.phase_rules import TERMINAL
from stigmer_server.kinds import KindDescriptor
from stigmer_server.resource_fields import metadata_of, phase_of
from stigmer_server.secrets.execution_values import ExecutionValues, execution_values
from stigmer_server.validation.field_violations import raise_first, violations_of


def _granted_values(
    deps: Dependencies,
    context: grpc.aio.ServicerContext,
    request: Message,
    kind: KindDescriptor,
    execution_id: str,
    grant: secret_pb2.ExecutionGrant,
) -> ExecutionValues:
    """The execution's values, once the caller proved it may read them (module doc)."""
    name = kind.kind_name
    require_role(context, "runner")
    raise_first(violations_of(request))
    # Before any read: without the grant, the caller learns nothing, not
    # even whether the execution exists.
    if not deps.grants.verify(grant, execution_id):
        raise PermissionDenied(
            f"no valid grant for {name} {execution_id}: secrets "
            "are readable only with the grant handed over with the execution",
            field="grant",
        )
    execution = deps.repository.get(kind, execution_id)
    if execution is None:
        raise NotFound(f"{name} {execution_id} not found", field="execution_id")
    if metadata_of(execution).org != grant.org:
        raise PermissionDenied(
            f"the grant of {name} {execution_id} names another org",
            field="grant",
        )
    if phase_of(execution) in TERMINAL:
        raise FailedPrecondition(
            f"{name} {execution_id} has ended; its secrets are no longer readable",
            field="execution_id",
        )
    return execution_values(deps.repository, deps.sealer, execution, deps.default_org)


class ExecutionSecretServicer(secrets_pb2_grpc.WorkflowExecutionSecretControllerServicer):
    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    async def ResolveSecrets(
        self, request: secrets_pb2.ResolveSecretsInput, context: grpc.aio.ServicerContext
    ) -> secrets_pb2.ResolvedSecrets:
        async def resolve() -> secrets_pb2.ResolvedSecrets:
            found = _granted_values(
                self._deps,
                context,
                request,
                kinds.WORKFLOW_EXECUTION,
                request.execution_id,
                request.grant,
            )
            wanted = set(request.names)
            return secrets_pb2.ResolvedSecrets(
                values={k: v for k, v in found.values.items() if k in wanted}
            )

        return await call_mapped(context, "WorkflowExecution.ResolveSecrets", resolve)


class AgentExecutionSecretServicer(agent_secrets_pb2_grpc.AgentExecutionSecretControllerServicer):
    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    async def ResolveVariables(
        self,
        request: agent_secrets_pb2.ResolveVariablesInput,
        context: grpc.aio.ServicerContext,
    ) -> agent_secrets_pb2.ResolvedVariables:
        async def resolve() -> agent_secrets_pb2.ResolvedVariables:
            found = _granted_values(
                self._deps,
                context,
                request,
                kinds.AGENT_EXECUTION,
                request.execution_id,
                request.grant,
            )
            return agent_secrets_pb2.ResolvedVariables(
                values=found.values, secret_names=sorted(found.secret_names)
            )

        return await call_mapped(context, "AgentExecution.ResolveVariables", resolve)


def register(server: MethodTable, deps: Dependencies) -> None:
    secrets_pb2_grpc.add_WorkflowExecutionSecretControllerServicer_to_server(
        ExecutionSecretServicer(deps), server.as_server()
    )
    agent_secrets_pb2_grpc.add_AgentExecutionSecretControllerServicer_to_server(
        AgentExecutionSecretServicer(deps), server.as_server()
    )
