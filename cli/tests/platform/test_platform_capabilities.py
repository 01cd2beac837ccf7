"""What the engine can do under `dsl`, it does on the platform (real processes):
`use.secrets` from the execution's ExecutionContext and its instance's environments,
and `run: workflow` by reference from the Workflows stored on stigmer-server."""

from __future__ import annotations

import base64

import grpc
import pytest
from e2e_platform import Platform, dsl_document, followed_to_end
from google.protobuf import json_format
from stigmer.commons.v1 import kind_pb2, metadata_pb2, phase_pb2
from stigmer.engine.v1 import contract_pb2 as engine_contract
from stigmer.engine.v1.contract_temporal import EXECUTE_SERVERLESS_WORKFLOW
from stigmer.environment.v1 import api_pb2 as environment_api
from stigmer.environment.v1 import command_pb2_grpc as environment_command
from stigmer.executioncontext.v1 import api_pb2 as context_api
from stigmer.executioncontext.v1 import command_pb2_grpc as context_command
from stigmer.workflowexecution.v1 import api_pb2 as execution_api
from stigmer.workflowexecution.v1 import command_pb2_grpc as execution_command
from stigmer.workflowexecution.v1 import contract_pb2 as workflow_contract
from stigmer.workflowexecution.v1.contract_temporal import INVOKE_WORKFLOW_EXECUTION
from stigmer.workflowinstance.v1 import api_pb2 as instance_api
from stigmer.workflowinstance.v1 import command_pb2_grpc as instance_command
from stigmer_cli.api import StigmerClient
from stigmer_dsl.converter import workflow_from_dsl
from stigmer_server.secrets.execution_grants import GRANT_KEY_FILE, ExecutionGrants

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

TIMEOUT = 90.0


async def test_secrets_come_from_the_execution_context_and_environments(
    platform: Platform,
) -> None:
    document = dsl_document(
        "uses-secrets",
        [
            {
                "read": {
                    "set": {
                        "tokenLength": "${ $secrets.apiToken | length }",
                        "region": "${ $secrets.region }",
                    }
                }
            }
        ],
        use={"secrets": ["apiToken", "region"]},
    )
    workflow, _ = workflow_from_dsl(document)
    # No runner while the execution and its context are created: the engine
    # must find the ExecutionContext when it starts, whatever the timing.
    assert platform.runner is not None
    platform.runner.stop()
    async with StigmerClient(platform.server.address) as client:
        applied = await client.apply_workflow(workflow)
        channel = grpc.aio.insecure_channel(platform.server.address)
        environment = environment_api.Environment(api_version="stigmer.ai/v1", kind="Environment")
        environment.metadata.name = "shared-values"
        environment.spec.data["region"].value = "eu-west"
        environment.spec.data["apiToken"].value = "overridden-by-the-context"
        environment.spec.data["apiToken"].is_secret = True
        environment = await environment_command.EnvironmentCommandControllerStub(channel).Create(
            environment
        )
        instance = instance_api.WorkflowInstance(
            api_version="stigmer.ai/v1", kind="WorkflowInstance"
        )
        instance.metadata.name = "with-environment"
        instance.spec.workflow_id = applied.metadata.id
        instance.spec.environment_refs.append(
            metadata_pb2.ApiResourceReference(
                slug=environment.metadata.slug, kind=kind_pb2.ENVIRONMENT
            )
        )
        instance = await instance_command.WorkflowInstanceCommandControllerStub(channel).Create(
            instance
        )
        execution = execution_api.WorkflowExecution(
            api_version="stigmer.ai/v1", kind="WorkflowExecution"
        )
        execution.metadata.name = "with-secrets"
        execution.spec.workflow_instance_id = instance.metadata.id
        execution = await execution_command.WorkflowExecutionCommandControllerStub(channel).Create(
            execution
        )
        context = context_api.ExecutionContext(api_version="stigmer.ai/v1", kind="ExecutionContext")
        context.spec.execution_id = execution.metadata.id
        context.spec.data["apiToken"].value = "s3cr3t-t0ken"
        context.spec.data["apiToken"].is_secret = True
        await context_command.ExecutionContextCommandControllerStub(channel).Create(context)
        await channel.close()
        platform.start_runner()
        final = await followed_to_end(client, execution.metadata.id)
    assert final.status.phase == phase_pb2.COMPLETED, platform.logs()
    assert json_format.MessageToDict(final.status.output) == {
        "tokenLength": len("s3cr3t-t0ken"),
        "region": "eu-west",
    }


async def test_an_undeclared_or_missing_secret_fails_with_authorization(
    platform: Platform,
) -> None:
    document = dsl_document(
        "missing-secret",
        [{"read": {"set": {"token": "${ $secrets.nowhere }"}}}],
        use={"secrets": ["nowhere"]},
    )
    workflow, _ = workflow_from_dsl(document)
    async with StigmerClient(platform.server.address) as client:
        applied = await client.apply_workflow(workflow)
        execution = await client.start_execution(applied, {})
        final = await followed_to_end(client, execution.metadata.id)
    assert final.status.phase == phase_pb2.FAILED, platform.logs()
    assert final.status.error.code.endswith("/errors/authorization")
    assert "nowhere" in final.status.error.message


async def test_run_workflow_resolves_a_stored_workflow(platform: Platform) -> None:
    child = {
        "document": {"dsl": "1.0.0", "namespace": "lib", "name": "doubler", "version": "2.0.0"},
        "do": [{"double": {"set": {"doubled": "${ .n * 2 }"}}}],
    }
    parent = dsl_document(
        "calls-a-stored-child",
        [
            {
                "delegate": {
                    "run": {
                        "workflow": {
                            "namespace": "lib",
                            "name": "doubler",
                            "version": "2.0.0",
                            "input": {"n": "${ .n }"},
                        }
                    }
                }
            }
        ],
    )
    async with StigmerClient(platform.server.address) as client:
        await client.apply_workflow(workflow_from_dsl(child)[0])
        applied = await client.apply_workflow(workflow_from_dsl(parent)[0])
        execution = await client.start_execution(applied, {"n": 21})
        final = await followed_to_end(client, execution.metadata.id)
    assert final.status.phase == phase_pb2.COMPLETED, platform.logs()
    assert json_format.MessageToDict(final.status.output) == {"doubled": 42}


async def test_run_workflow_resolves_in_the_executions_org_and_the_child_reads_its_secrets(
    platform: Platform,
) -> None:
    """The runner's identity is the zero-config admin of every org (like a `*`
    runner key): two orgs hold a workflow of the same namespace/name, and each
    execution runs its own org's. The child reads `$secrets` through the
    execution's grant, which it inherits from its parent."""

    def child(org: str) -> dict[str, object]:
        return {
            "document": {"dsl": "1.0.0", "namespace": "orgs", "name": "who", "version": "1.0.0"},
            "use": {"secrets": ["badge"]},
            "do": [{"say": {"set": {"org": org, "badgeLength": "${ $secrets.badge | length }"}}}],
        }

    parent = dsl_document(
        "calls-who",
        [
            {
                "delegate": {
                    "run": {"workflow": {"namespace": "orgs", "name": "who", "version": "1.0.0"}}
                }
            }
        ],
    )
    assert platform.runner is not None
    platform.runner.stop()  # the executions' contexts exist before the engine starts
    async with StigmerClient(platform.server.address) as client:
        channel = grpc.aio.insecure_channel(platform.server.address)
        executions = {}
        for org in ("acme", "globex", "initech"):
            if org != "initech":  # initech has no `orgs/who`
                workflow, _ = workflow_from_dsl(child(org))
                workflow.metadata.org = org
                await client.apply_workflow(workflow)
            workflow, _ = workflow_from_dsl(parent)
            workflow.metadata.org = org
            applied = await client.apply_workflow(workflow)
            execution = execution_api.WorkflowExecution(
                api_version="stigmer.ai/v1", kind="WorkflowExecution"
            )
            execution.metadata.name = f"calls-who-in-{org}"
            execution.metadata.org = org
            execution.spec.workflow_id = applied.metadata.id
            execution = await execution_command.WorkflowExecutionCommandControllerStub(
                channel
            ).Create(execution)
            context = context_api.ExecutionContext(
                api_version="stigmer.ai/v1", kind="ExecutionContext"
            )
            context.metadata.org = org
            context.spec.execution_id = execution.metadata.id
            context.spec.data["badge"].value = "b" * len(org)
            context.spec.data["badge"].is_secret = True
            await context_command.ExecutionContextCommandControllerStub(channel).Create(context)
            executions[org] = execution.metadata.id
        await channel.close()
        platform.start_runner()
        finals = {org: await followed_to_end(client, eid) for org, eid in executions.items()}
    for org in ("acme", "globex"):
        assert finals[org].status.phase == phase_pb2.COMPLETED, platform.logs()
        assert json_format.MessageToDict(finals[org].status.output) == {
            "org": org,
            "badgeLength": len(org),
        }
    # Not borrowed from another org: unknown in its own.
    assert finals["initech"].status.phase == phase_pb2.FAILED, platform.logs()
    assert "no stored Workflow of org 'initech'" in finals["initech"].status.error.message
    await _assert_grant_sealed_in_history(platform, executions["acme"], "acme")


async def _assert_grant_sealed_in_history(platform: Platform, execution_id: str, org: str) -> None:
    """The grant is in the orchestration's and the engine's inputs, sealed: decoded
    with the ring, each input holds the server's grant; the raw history bytes never
    hold its MAC."""
    key = (platform.tmp / "data" / GRANT_KEY_FILE).read_bytes()
    inputs = [
        (
            INVOKE_WORKFLOW_EXECUTION.workflow_id(
                workflow_contract.InvokeWorkflowExecutionInput(
                    execution=execution_api.WorkflowExecution(metadata={"id": execution_id})
                )
            ),
            workflow_contract.InvokeWorkflowExecutionInput,
        ),
        (
            EXECUTE_SERVERLESS_WORKFLOW.workflow_id(
                engine_contract.ExecuteServerlessWorkflowInput(execution_id=execution_id)
            ),
            engine_contract.ExecuteServerlessWorkflowInput,
        ),
    ]
    for workflow_id, input_type in inputs:
        history = await platform.client.get_workflow_handle(workflow_id).fetch_history()
        started = history.events[0].workflow_execution_started_event_attributes
        (decoded,) = await platform.client.data_converter.decode(
            list(started.input.payloads), [input_type]
        )
        grant = decoded.grant
        assert (grant.execution_id, grant.org) == (execution_id, org), workflow_id
        assert ExecutionGrants(key).verify(grant, execution_id), workflow_id
        raw = b"".join(event.SerializeToString() for event in history.events)
        assert grant.mac not in raw, workflow_id
        assert base64.b64encode(grant.mac) not in raw, workflow_id
