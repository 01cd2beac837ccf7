"""The activity creating a `call: agent` task's AgentExecution, idempotently.

The execution's name comes from the engine (run id + task call), so a retried
attempt, or the same call after the engine's worker crashed, meets
ALREADY_EXISTS and takes the execution the first attempt created: one call, one
AgentExecution. An unknown agent fails with the spec's configuration error,
which the contract declares non-retryable.

Everything happens in ``request.org`` (the calling execution's org, from its
grant): the agent's slug resolves there, an agt-... id of another org is
NOT_FOUND, and the AgentExecution is created there. The runner's key sees every
org, so this activity, not the server's key scope, keeps a workflow to its org
(stigmer-server also refuses an execution naming another org's agent or session).
"""

from __future__ import annotations

from typing import Protocol

import grpc
from stigmer.agent.v1 import api_pb2 as agent_api
from stigmer.agentexecution.v1 import api_pb2 as execution_api
from stigmer.engine.v1 import contract_pb2 as engine_contract
from stigmer.engine.v1.contract_temporal import CONFIGURATION_ERROR, START_AGENT_EXECUTION
from temporalio.exceptions import ApplicationError

#: Answers about the request itself: another attempt would get the same.
_REQUEST_ERRORS = frozenset(
    {grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.PERMISSION_DENIED}
)


class AgentExecutions(Protocol):
    """The stigmer-server calls the activity needs (the runner's API client)."""

    async def find_agent(self, slug_or_id: str, org: str = "") -> agent_api.Agent: ...

    async def create_agent_execution(
        self, execution: execution_api.AgentExecution
    ) -> execution_api.AgentExecution: ...

    async def get_agent_execution_by_slug(
        self, slug: str, org: str = ""
    ) -> execution_api.AgentExecution: ...


class AgentActivities:
    """`call: agent` for one worker (None: no stigmer-server, e.g. the `dsl` command)."""

    def __init__(self, api: AgentExecutions | None) -> None:
        self._api = api

    @START_AGENT_EXECUTION.defn
    async def start_agent_execution(
        self, request: engine_contract.StartAgentExecutionInput
    ) -> engine_contract.StartAgentExecutionOutput:
        """Create the execution (or find the one created before) and return its id."""
        if self._api is None:
            raise _configuration("call: agent needs the platform (no stigmer-server here)")
        execution = execution_api.AgentExecution(api_version="stigmer.ai/v1", kind="AgentExecution")
        execution.metadata.name = request.name
        execution.metadata.org = request.org
        execution.spec.message = request.message
        execution.spec.model = request.model
        execution.spec.callback_workflow_id = request.callback_workflow_id
        execution.spec.runtime_env.update(request.env)
        try:
            if request.session_id:
                execution.spec.session_id = request.session_id
            else:
                agent = await self._api.find_agent(request.agent, request.org)
                if request.org and agent.metadata.org != request.org:
                    # An agt-... id of another org: as absent as for that org's keys.
                    raise _configuration(
                        f"call: agent {request.agent!r}: NOT_FOUND: no such agent in org "
                        f"{request.org!r}"
                    )
                execution.spec.agent_id = agent.metadata.id
            created = await self._api.create_agent_execution(execution)
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.ALREADY_EXISTS:
                found = await self._api.get_agent_execution_by_slug(request.name, request.org)
                return engine_contract.StartAgentExecutionOutput(
                    agent_execution_id=found.metadata.id
                )
            if error.code() in _REQUEST_ERRORS:
                target = request.agent or request.session_id
                raise _configuration(
                    f"call: agent {target!r}: {error.code().name}: {error.details()}"
                ) from None
            raise
        return engine_contract.StartAgentExecutionOutput(agent_execution_id=created.metadata.id)


def _configuration(message: str) -> ApplicationError:
    problem = {
        "type": CONFIGURATION_ERROR,
        "status": 400,
        "title": "Agent Call Failed",
        "detail": message,
    }
    return ApplicationError(message, problem, type=CONFIGURATION_ERROR, non_retryable=True)
