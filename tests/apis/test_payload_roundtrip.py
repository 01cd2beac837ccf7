"""Every resource message crosses Temporal intact through the SDK's protobuf converter."""

from __future__ import annotations

import pytest
from google.protobuf.message import Message
from message_samples import generated_message_types, populate
from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter

MESSAGE_TYPES = list(generated_message_types())


def test_the_walk_finds_every_kind() -> None:
    names = {t.DESCRIPTOR.full_name for t in MESSAGE_TYPES}
    for kind in (
        "workflow.v1.Workflow",
        "workflowinstance.v1.WorkflowInstance",
        "workflowexecution.v1.WorkflowExecution",
        "agent.v1.Agent",
        "agentinstance.v1.AgentInstance",
        "session.v1.Session",
        "agentexecution.v1.AgentExecution",
        "environment.v1.Environment",
        "executioncontext.v1.ExecutionContext",
    ):
        assert f"stigmer.{kind}" in names


@pytest.mark.parametrize("message_type", MESSAGE_TYPES, ids=lambda t: t.DESCRIPTOR.full_name)
def test_round_trip_through_payload_converter(message_type: type[Message]) -> None:
    converter = DataConverter.default.payload_converter
    original = populate(message_type())
    payloads = converter.to_payloads([original])
    assert len(payloads) == 1
    payload: Payload = payloads[0]
    # The JSON protobuf encoding, so a Go or Java worker can read it too.
    assert payload.metadata["encoding"] == b"json/protobuf"
    assert payload.metadata["messageType"] == message_type.DESCRIPTOR.full_name.encode()
    (decoded,) = converter.from_payloads(payloads, [message_type])
    assert decoded == original
    if message_type.DESCRIPTOR.fields:
        assert decoded != message_type(), "the sample must not be empty"
