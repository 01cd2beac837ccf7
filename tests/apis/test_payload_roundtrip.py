"""Every resource message crosses Temporal intact through the platform's payload converter."""

from __future__ import annotations

import pytest
from google.protobuf.message import Message
from message_samples import generated_message_types, populate
from stigmer_common.payload_converter import StigmerPayloadConverter
from temporalio.api.common.v1 import Payload
from temporalio.converter import JSONProtoPayloadConverter

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
    converter = StigmerPayloadConverter()
    original = populate(message_type())
    payloads = converter.to_payloads([original])
    assert len(payloads) == 1
    payload: Payload = payloads[0]
    # The message's wire format (every Temporal SDK reads binary/protobuf).
    assert payload.metadata["encoding"] == b"binary/protobuf"
    assert payload.metadata["messageType"] == message_type.DESCRIPTOR.full_name.encode()
    (decoded,) = converter.from_payloads(payloads, [message_type])
    assert decoded == original
    if message_type.DESCRIPTOR.fields:
        assert decoded != message_type(), "the sample must not be empty"


@pytest.mark.parametrize("message_type", MESSAGE_TYPES, ids=lambda t: t.DESCRIPTOR.full_name)
def test_json_payloads_of_older_histories_still_decode(message_type: type[Message]) -> None:
    """Histories written before binary encoding hold ``json/protobuf`` payloads."""
    original = populate(message_type())
    legacy = JSONProtoPayloadConverter().to_payload(original)
    assert legacy is not None and legacy.metadata["encoding"] == b"json/protobuf"
    (decoded,) = StigmerPayloadConverter().from_payloads([legacy], [message_type])
    assert decoded == original
