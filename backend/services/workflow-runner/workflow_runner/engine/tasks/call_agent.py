"""``call: agent`` (Stigmer's extension): one turn of a stored Agent.

``with:`` takes ``agent`` (a slug or agt-... id), ``message`` (required),
``session`` (a ses-... id to continue instead of a new session), ``org``
(the execution's own org, or refused), ``model`` (overrides the agent's model)
and ``env`` (the agent's runtime environment, string values); each may be an
expression on the task input. An activity creates the AgentExecution on
stigmer-server, named from this engine run and a deterministic per-call id, so a
retried activity or a replayed engine finds the same execution instead of
creating a second one. The task then waits, without polling, for the
agent-execution-ended signal the execution's orchestration sends this run when
it ends. Output: the agent's final reply (its text, or its structured output); a
FAILED or CANCELLED execution faults the task with a ``runtime`` error naming it.

On the platform the agent is looked up, and the AgentExecution created, in the
org of the execution the task runs in (its grant's, as for `run: workflow`):
the runner's key sees every org, so a workflow must not reach another org's
agents through it. When the task is cancelled (the execution cancelled, its
``timeout`` elapsed, a ``fork`` competitor won), the AgentExecution's
orchestration is cancelled too, so the agent stops instead of running on.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from google.protobuf import json_format
from stigmer_dsl.errors import WorkflowError
from stigmer_dsl.model import TaskDefinition
from temporalio import workflow
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    from stigmer.agentexecution.v1 import api_pb2 as agent_execution_api
    from stigmer.agentexecution.v1 import contract_pb2 as agent_contract
    from stigmer.agentexecution.v1.contract_temporal import INVOKE_AGENT_EXECUTION
    from stigmer.commons.v1 import phase_pb2
    from stigmer.engine.v1 import contract_pb2 as engine_contract
    from stigmer.engine.v1.contract_temporal import START_AGENT_EXECUTION

from workflow_runner.engine.context import DEFAULT_ACTIVITY_TIMEOUT, TaskContext

#: The `with:` fields and the input field each fills.
_FIELDS = {
    "agent": "agent",
    "message": "message",
    "session": "session_id",
    "org": "org",
    "model": "model",
}


async def run(ctx: TaskContext, task: TaskDefinition, task_input: Any) -> Any:
    spec = task.body.get("with")
    if not isinstance(spec, dict):
        raise WorkflowError.configuration(
            "call: agent needs a `with:` object (agent, message)", instance=task.reference
        )
    unknown = sorted(set(spec) - set(_FIELDS) - {"env"})
    if unknown:
        raise WorkflowError.configuration(
            f"call: agent: unknown with.{unknown[0]} (takes {', '.join(_FIELDS)}, env)",
            instance=task.reference,
        )
    request = engine_contract.StartAgentExecutionInput()
    for key, field_name in _FIELDS.items():
        if key not in spec:
            continue
        value = ctx.evaluate(spec[key], task_input, field_name=f"with.{key}")
        if not isinstance(value, str):
            raise WorkflowError.configuration(
                f"call: agent: with.{key} must be a string, not {type(value).__name__}",
                instance=task.reference,
            )
        setattr(request, field_name, value)
    env = ctx.evaluate(spec.get("env") or {}, task_input, field_name="with.env")
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise WorkflowError.configuration(
            "call: agent: with.env must be an object of strings", instance=task.reference
        )
    request.env.update(env)
    if not request.message.strip():
        raise WorkflowError.configuration(
            "call: agent: with.message is required (a non-empty string)", instance=task.reference
        )
    if not request.agent and not request.session_id:
        raise WorkflowError.configuration(
            "call: agent: with.agent (or with.session) is required", instance=task.reference
        )
    request.org = _org(ctx, task, request.org)
    info = workflow.info()
    request.callback_workflow_id = info.workflow_id
    # workflow.uuid4 replays identically: the same call of the same run always
    # names the same execution, while each loop iteration gets its own.
    call_id = f"{info.workflow_id}{task.reference}/{workflow.uuid4().hex}"
    request.name = "call-agent-" + hashlib.sha256(call_id.encode()).hexdigest()[:24]
    try:
        started = await _start(ctx, request)
    except asyncio.CancelledError:
        # Cancelled while the start ran: it may have created the execution all
        # the same (the activity does not heartbeat, so it runs to its end). The
        # same start again finds it by name (or creates it), and it is cancelled.
        try:
            again = await _start(ctx, request)
        except WorkflowError as error:
            workflow.logger.info("call %s cancelled before its start: %s", request.name, error)
        else:
            await _cancel_agent_execution(again.agent_execution_id)
        raise
    execution_id = started.agent_execution_id
    endings = ctx.state.agent_endings
    try:
        await workflow.wait_condition(lambda: execution_id in endings)
    except asyncio.CancelledError:
        await _cancel_agent_execution(execution_id)
        raise
    ended: engine_contract.AgentExecutionEndedSignal = endings.pop(execution_id)
    if ended.phase != phase_pb2.COMPLETED:
        phase = phase_pb2.ExecutionPhase.Name(ended.phase)
        raise WorkflowError.runtime(
            f"agent execution {execution_id} ended {phase}: "
            f"{ended.error.message or ended.error.code or 'no error given'}",
            title="Agent Execution Failed",
            instance=task.reference,
        )
    return json_format.MessageToDict(ended.output) if ended.HasField("output") else None


async def _start(
    ctx: TaskContext, request: engine_contract.StartAgentExecutionInput
) -> engine_contract.StartAgentExecutionOutput:
    started: engine_contract.StartAgentExecutionOutput = await ctx.execute_activity(
        START_AGENT_EXECUTION.name,
        request,
        start_to_close_timeout=START_AGENT_EXECUTION.start_to_close_timeout
        or DEFAULT_ACTIVITY_TIMEOUT,
        retry_policy=START_AGENT_EXECUTION.retry_policy.to_temporal()
        if START_AGENT_EXECUTION.retry_policy
        else None,
        result_type=engine_contract.StartAgentExecutionOutput,
        summary=request.agent or request.session_id,
    )
    return started


def _org(ctx: TaskContext, task: TaskDefinition, named: str) -> str:
    """The org to call the agent in: the execution's (from its grant).

    ``with.org`` may only repeat it, unless the execution's creator acts in
    every org (an org ``*`` admin; the grant says so). Without a grant (an
    execution started before grants existed, or outside the platform) the named
    org stands, as the server then scopes the call by the runner's own key.
    """
    grant = ctx.state.hooks.execution_grant
    if grant is None or not grant.org or grant.every_org:
        return named or (grant.org if grant else "")
    if named and named != grant.org:
        raise WorkflowError.configuration(
            f"call: agent: with.org {named!r} is not this execution's org {grant.org!r}: "
            "a workflow calls the agents of its own org",
            title="Agent Call Failed",
            instance=task.reference,
        )
    return grant.org


async def _cancel_agent_execution(execution_id: str) -> None:
    """Cancel the AgentExecution's orchestration (it records CANCELLED and stops the agent).

    Runs while this task unwinds from its cancellation: a workflow may still
    issue commands then. An orchestration already ended (or unknown) is fine.
    """
    execution = agent_execution_api.AgentExecution()
    execution.metadata.id = execution_id
    orchestration_id = INVOKE_AGENT_EXECUTION.workflow_id(
        agent_contract.InvokeAgentExecutionInput(execution=execution)
    )
    try:
        await workflow.get_external_workflow_handle(orchestration_id).cancel()
    except FailureError as error:
        workflow.logger.info("agent execution %s not cancelled: %s", execution_id, error)
