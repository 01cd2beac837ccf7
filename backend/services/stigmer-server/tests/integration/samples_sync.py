"""Blocking-client helpers for the process tests (which drive a subprocess server)."""

from __future__ import annotations

import grpc
from google.protobuf import json_format
from samples import WORKFLOW_SPEC
from stigmer.workflow.v1 import api_pb2 as wf
from stigmer.workflow.v1 import command_pb2_grpc as wf_command
from stigmer.workflowexecution.v1 import api_pb2 as wex
from stigmer.workflowexecution.v1 import command_pb2_grpc as wex_command


def create_execution(channel: grpc.Channel) -> str:
    workflow = json_format.ParseDict(
        {"metadata": {"name": "durable"}, "spec": WORKFLOW_SPEC}, wf.Workflow()
    )
    created = wf_command.WorkflowCommandControllerStub(channel).Create(workflow)
    execution = wex.WorkflowExecution(
        spec=wex.WorkflowExecutionSpec(workflow_id=created.metadata.id)
    )
    return str(
        wex_command.WorkflowExecutionCommandControllerStub(channel).Create(execution).metadata.id
    )
