"""An execution's variables (model keys, MCP servers' variables), secrets in clear.

Read through the runner-only ResolveVariables RPC with the grant the
orchestration handed over with the execution: reads of Environments show
secrets redacted, so the server opens them for the runner that holds the
execution's grant only. The server applies the precedence (the instance's
Environments in order, then ``runtime_env``, then ExecutionContexts). The
secret values join the process redactor, so no log line of this process shows
them.
"""

from __future__ import annotations

import grpc
from stigmer.commons.v1 import secret_pb2
from stigmer_common.secret_redaction import process_redactor

from agent_runner.errors import agent_spec_error
from agent_runner.stigmer_api import AgentServerApi

# Another attempt would be refused the same way (no or a wrong grant, an ended
# execution): end the execution with the server's reason instead.
_REFUSED = frozenset(
    {
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.NOT_FOUND,
    }
)


async def execution_variables(
    api: AgentServerApi, execution_id: str, grant: secret_pb2.ExecutionGrant
) -> dict[str, str]:
    """name -> value for ``execution_id`` (see the module docstring). Never log it."""
    try:
        resolved = await api.resolve_variables(execution_id, grant)
    except grpc.aio.AioRpcError as error:
        if error.code() in _REFUSED:
            raise agent_spec_error(
                f"the server refused the variables of {execution_id}: {error.details()}"
            ) from None
        raise
    variables = dict(resolved.values)
    process_redactor().add(variables[name] for name in resolved.secret_names if variables.get(name))
    return variables
