"""ExecuteWorkflow's three reads (execution, instance, workflow) go out at once.

Each fake read waits until all three have started: read one after the other,
the first would wait forever (the test's timeout fails it).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, cast

from google.protobuf import struct_pb2
from stigmer.workflow.v1 import api_pb2 as workflow_api
from stigmer.workflowexecution.v1 import api_pb2 as execution_api
from stigmer.workflowinstance.v1 import api_pb2 as instance_api
from stigmer_dsl.converter import workflow_from_dsl
from temporalio.testing import ActivityEnvironment
from workflow_runner.bridge.execute_workflow import ExecuteWorkflowActivity
from workflow_runner.bridge.settings import RunnerSettings
from workflow_runner.bridge.stigmer_api import StigmerApi

DOCUMENT = {
    "document": {"dsl": "1.0.3", "namespace": "t", "name": "reads", "version": "1.0.0"},
    "do": [{"a": {"set": {"x": 1}}}],
}


class ConcurrentApi:
    """Answers each read once all ``expected`` reads are in flight."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.started: list[str] = []
        self._all_in = asyncio.Event()

    async def _wait(self, what: str) -> None:
        self.started.append(what)
        if len(self.started) == self.expected:
            self._all_in.set()
        await asyncio.wait_for(self._all_in.wait(), timeout=20)

    async def get_execution(self, execution_id: str) -> execution_api.WorkflowExecution:
        await self._wait("execution")
        execution = execution_api.WorkflowExecution()
        execution.metadata.id = execution_id
        execution.status.workflow_instance_id = "ins-1"
        execution.status.workflow_id = "wf-1"
        execution.spec.input.update({"b": 2})
        return execution

    async def get_instance(self, instance_id: str) -> instance_api.WorkflowInstance:
        await self._wait("instance")
        instance = instance_api.WorkflowInstance()
        instance.metadata.id = instance_id
        instance.spec.workflow_id = "wf-1"
        instance.spec.default_input.CopyFrom(struct_pb2.Struct())
        instance.spec.default_input.update({"a": 1})
        return instance

    async def get_workflow(self, workflow_id: str) -> workflow_api.Workflow:
        await self._wait("workflow")
        workflow, _ = workflow_from_dsl(DOCUMENT)
        workflow.metadata.id = workflow_id
        return workflow


def _activity(api: Any) -> ExecuteWorkflowActivity:
    return ExecuteWorkflowActivity(
        cast(StigmerApi, api), cast(Any, None), RunnerSettings(), cast(Any, None)
    )


async def test_the_three_reads_overlap_when_the_execution_names_its_instance_and_workflow() -> None:
    api = ConcurrentApi(expected=3)
    started = execution_api.WorkflowExecution()
    started.metadata.id = "exe-1"
    started.status.workflow_instance_id = "ins-1"
    started.status.workflow_id = "wf-1"
    params = await ActivityEnvironment().run(_activity(api)._engine_input, "exe-1", started)
    assert sorted(api.started) == ["execution", "instance", "workflow"]
    assert json.loads(params.input_json) == {"a": 1, "b": 2}
    assert json.loads(params.definition)["do"] == DOCUMENT["do"]
    assert dict(params.runtime_metadata) == {
        "executionId": "exe-1",
        "workflowId": "wf-1",
        "workflowInstanceId": "ins-1",
    }


async def test_without_the_ids_the_reads_follow_each_other() -> None:
    api = ConcurrentApi(expected=1)  # each read answers at once
    started = execution_api.WorkflowExecution()
    started.metadata.id = "exe-1"
    params = await ActivityEnvironment().run(_activity(api)._engine_input, "exe-1", started)
    assert api.started == ["execution", "instance", "workflow"]
    assert params.runtime_metadata["workflowInstanceId"] == "ins-1"
