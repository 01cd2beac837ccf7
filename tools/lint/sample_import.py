"""A sample user of the generated stubs: mypy checks it against the .pyi files.

If the generated stubs or the contract module lost their types, this file would
stop type-checking (wrong field types, unknown attributes, untyped helpers).
"""

from __future__ import annotations

from google.protobuf import struct_pb2
from stigmer.commons.v1 import metadata_pb2
from stigmer.engine.v1 import contract_temporal as engine_contract
from stigmer.workflow.v1 import api_pb2 as workflow_api
from stigmer.workflowexecution.v1 import api_pb2 as execution_api
from stigmer.workflowexecution.v1 import contract_pb2 as execution_contract_pb2
from stigmer.workflowexecution.v1 import contract_temporal as execution_contract


def sample_workflow() -> workflow_api.Workflow:
    config = struct_pb2.Struct()
    config.update({"variables": {"greeting": "hello"}})
    workflow = workflow_api.Workflow(
        metadata=metadata_pb2.ApiResourceMetadata(name="hello", org="local"),
    )
    workflow.spec.document.name = "hello"
    task = workflow.spec.tasks.add(name="greet")
    task.task_config.CopyFrom(config)
    return workflow


def sample_start_input(execution_id: str) -> execution_contract_pb2.InvokeWorkflowExecutionInput:
    execution = execution_api.WorkflowExecution()
    execution.metadata.id = execution_id
    contract = execution_contract.INVOKE_WORKFLOW_EXECUTION
    arg = contract.input_type(execution=execution)
    workflow_id: str = contract.workflow_id(arg)
    assert workflow_id.endswith(execution_id)
    return arg


def engine_queue_default() -> str:
    return engine_contract.SERVERLESS_WORKFLOW_ENGINE_QUEUE.default
