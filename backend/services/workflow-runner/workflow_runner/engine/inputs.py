"""The engine workflow's input: the contract's message, and the engine's view of it.

Starters send ``ExecuteServerlessWorkflowInput`` (apis/stigmer/engine/v1/
contract.proto), built with :func:`engine_input`. The engine reads it once into
:class:`EngineParams`, plain Python values it may update during the run (a newer
completion token, loaded secrets), and writes it back as the message when it
continues as new. The input and the checkpoint of a continued run are JSON
text (key order and integers kept, fast to convert; see the proto); secrets and
metadata cross as ``google.protobuf.Struct`` (integers come back as integers,
:mod:`stigmer_common.json_values`).

Its own module so that task runners starting child runs (`run: workflow`)
import it without importing the workflow that imports them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    # Generated modules must not be re-imported per run inside the sandbox.
    from google.protobuf import json_format, struct_pb2
    from stigmer.commons.v1.secret_pb2 import ExecutionGrant
    from stigmer.engine.v1.contract_pb2 import ExecuteServerlessWorkflowInput
    from stigmer_common.json_values import from_struct


def _json(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def _struct(data: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    json_format.ParseDict(data, struct)
    return struct


@dataclass
class Resume:
    """Where a continued-as-new run picks up (see :mod:`.checkpoint`).

    Plain JSON values, carried as JSON text in the message's ``resume`` bytes.
    """

    frames: list[dict[str, Any]]
    context: Any
    started_at: str
    transformed_input: Any
    generation: int = 1
    #: CloudEvents received and not consumed yet, carried to the next run.
    inbox: list[dict[str, Any]] = field(default_factory=list)
    #: Agent-execution-ended signals received and not consumed yet (their JSON
    #: form), carried like the inbox so a `call: agent` never loses its answer.
    agent_endings: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> bytes:
        return _json(asdict(self))

    @staticmethod
    def from_json(data: bytes) -> Resume:
        return Resume(**json.loads(data))


@dataclass
class EngineParams:
    """The engine's view of its input message (never sent to Temporal as is).

    Attributes:
        definition: the workflow definition, YAML or JSON text.
        input: the workflow's raw input (JSON value).
        secrets: ``$secrets`` (resolved by the caller; None: the engine loads them).
        completion_token: async-activity token of the caller, handed to the
            completion hook when the run ends (the ExecuteWorkflow bridge).
        execution_id: id exposed as ``$workflow.id`` (default: the Temporal workflow id).
        resume: set by the engine itself when it continues as new.
        paused: start held (a pause requested before the run started); the
            pause and resume signals override it.
        grant: the platform execution's grant (presented to load secrets; its
            org bounds `run: workflow`); children get their parent's.
    """

    definition: str
    input: Any = None
    secrets: dict[str, Any] | None = None
    completion_token: bytes | None = None
    execution_id: str | None = None
    resume: Resume | None = None
    runtime_metadata: dict[str, Any] = field(default_factory=dict)
    paused: bool = False
    grant: ExecutionGrant | None = None

    def to_message(self) -> ExecuteServerlessWorkflowInput:
        message = ExecuteServerlessWorkflowInput(
            definition=self.definition,
            execution_id=self.execution_id or "",
            completion_token=self.completion_token or b"",
            paused=self.paused,
        )
        if self.input is not None:
            message.input_json = _json(self.input)
        if self.secrets is not None:
            message.secrets.CopyFrom(_struct(self.secrets))
        if self.runtime_metadata:
            message.runtime_metadata.CopyFrom(_struct(self.runtime_metadata))
        if self.resume is not None:
            message.resume = self.resume.to_json()
        if self.grant is not None:
            message.grant.CopyFrom(self.grant)
        return message

    @staticmethod
    def from_message(message: ExecuteServerlessWorkflowInput) -> EngineParams:
        return EngineParams(
            definition=message.definition,
            input=json.loads(message.input_json) if message.input_json else None,
            secrets=from_struct(message.secrets) if message.HasField("secrets") else None,
            completion_token=message.completion_token or None,
            execution_id=message.execution_id or None,
            resume=Resume.from_json(message.resume) if message.resume else None,
            runtime_metadata=(
                from_struct(message.runtime_metadata)
                if message.HasField("runtime_metadata")
                else {}
            ),
            paused=message.paused,
            grant=message.grant if message.HasField("grant") else None,
        )


def engine_input(
    definition: str,
    input: Any = None,
    *,
    secrets: dict[str, Any] | None = None,
    completion_token: bytes | None = None,
    execution_id: str | None = None,
    runtime_metadata: dict[str, Any] | None = None,
    paused: bool = False,
    grant: ExecutionGrant | None = None,
) -> ExecuteServerlessWorkflowInput:
    """The message a starter sends to ``ExecuteServerlessWorkflow``."""
    return EngineParams(
        definition=definition,
        input=input,
        secrets=secrets,
        completion_token=completion_token,
        execution_id=execution_id,
        runtime_metadata=dict(runtime_metadata or {}),
        paused=paused,
        grant=grant,
    ).to_message()
