"""The registry of resource kinds: what the generic API and store need per kind.

One entry per ``ApiResourceKind``. Generic code (pipelines, store, servicers)
takes a :class:`KindDescriptor` instead of branching on the kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from google.protobuf.message import Message
from stigmer.agent.v1 import api_pb2 as agent_api
from stigmer.agent.v1 import io_pb2 as agent_io
from stigmer.agentexecution.v1 import api_pb2 as agentexecution_api
from stigmer.agentexecution.v1 import io_pb2 as agentexecution_io
from stigmer.agentinstance.v1 import api_pb2 as agentinstance_api
from stigmer.agentinstance.v1 import io_pb2 as agentinstance_io
from stigmer.commons.v1 import kind_pb2
from stigmer.environment.v1 import api_pb2 as environment_api
from stigmer.environment.v1 import io_pb2 as environment_io
from stigmer.executioncontext.v1 import api_pb2 as executioncontext_api
from stigmer.executioncontext.v1 import io_pb2 as executioncontext_io
from stigmer.mcpserver.v1 import api_pb2 as mcpserver_api
from stigmer.mcpserver.v1 import io_pb2 as mcpserver_io
from stigmer.session.v1 import api_pb2 as session_api
from stigmer.session.v1 import io_pb2 as session_io
from stigmer.skill.v1 import api_pb2 as skill_api
from stigmer.skill.v1 import io_pb2 as skill_io
from stigmer.workflow.v1 import api_pb2 as workflow_api
from stigmer.workflow.v1 import io_pb2 as workflow_io
from stigmer.workflowexecution.v1 import api_pb2 as workflowexecution_api
from stigmer.workflowexecution.v1 import io_pb2 as workflowexecution_io
from stigmer.workflowinstance.v1 import api_pb2 as workflowinstance_api
from stigmer.workflowinstance.v1 import io_pb2 as workflowinstance_io

from stigmer_server.ids import kind_id_prefix, kind_name

API_VERSION = "stigmer.ai/v1"


def _no_parents(_: Message) -> tuple[str, ...]:
    return ()


def _present(*ids: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in ids if i))


@dataclass(frozen=True)
class KindDescriptor:
    """What generic code needs to know about one kind.

    Attributes:
        kind: The ``ApiResourceKind`` value.
        space: Key-space name in the store (snake case, stable on disk).
        resource_type: The resource message class.
        list_type: The ``<Kind>List`` page message class.
        parent_ids: Ids this resource hangs under, for the parent -> children
            indexes (read from the resolved spec/status).
        is_execution: Has a phase, UpdateStatus and Subscribe.
        generated_name: Clients may omit metadata.name; the server names it.
    """

    kind: int
    space: str
    resource_type: type[Message]
    list_type: type[Message]
    parent_ids: Callable[[Message], tuple[str, ...]] = _no_parents
    is_execution: bool = False
    generated_name: bool = False

    @property
    def id_prefix(self) -> str:
        return kind_id_prefix(self.kind)

    @property
    def kind_name(self) -> str:
        return kind_name(self.kind)

    @property
    def enum_name(self) -> str:
        return kind_pb2.ApiResourceKind.Name(cast(kind_pb2.ApiResourceKind.ValueType, self.kind))


def _workflow_instance_parents(m: Message) -> tuple[str, ...]:
    r = cast(workflowinstance_api.WorkflowInstance, m)
    return _present(r.spec.workflow_id)


def _workflow_execution_parents(m: Message) -> tuple[str, ...]:
    r = cast(workflowexecution_api.WorkflowExecution, m)
    return _present(r.status.workflow_id, r.status.workflow_instance_id)


def _agent_instance_parents(m: Message) -> tuple[str, ...]:
    r = cast(agentinstance_api.AgentInstance, m)
    return _present(r.spec.agent_id)


def _session_parents(m: Message) -> tuple[str, ...]:
    r = cast(session_api.Session, m)
    return _present(r.spec.agent_instance_id)


def _agent_execution_parents(m: Message) -> tuple[str, ...]:
    r = cast(agentexecution_api.AgentExecution, m)
    return _present(r.status.session_id, r.status.agent_instance_id, r.status.agent_id)


def _execution_context_parents(m: Message) -> tuple[str, ...]:
    r = cast(executioncontext_api.ExecutionContext, m)
    return _present(r.spec.execution_id)


WORKFLOW = KindDescriptor(
    kind_pb2.WORKFLOW, "workflow", workflow_api.Workflow, workflow_io.WorkflowList
)
WORKFLOW_INSTANCE = KindDescriptor(
    kind_pb2.WORKFLOW_INSTANCE,
    "workflow_instance",
    workflowinstance_api.WorkflowInstance,
    workflowinstance_io.WorkflowInstanceList,
    parent_ids=_workflow_instance_parents,
)
WORKFLOW_EXECUTION = KindDescriptor(
    kind_pb2.WORKFLOW_EXECUTION,
    "workflow_execution",
    workflowexecution_api.WorkflowExecution,
    workflowexecution_io.WorkflowExecutionList,
    parent_ids=_workflow_execution_parents,
    is_execution=True,
    generated_name=True,
)
AGENT = KindDescriptor(kind_pb2.AGENT, "agent", agent_api.Agent, agent_io.AgentList)
AGENT_INSTANCE = KindDescriptor(
    kind_pb2.AGENT_INSTANCE,
    "agent_instance",
    agentinstance_api.AgentInstance,
    agentinstance_io.AgentInstanceList,
    parent_ids=_agent_instance_parents,
)
SESSION = KindDescriptor(
    kind_pb2.SESSION,
    "session",
    session_api.Session,
    session_io.SessionList,
    parent_ids=_session_parents,
    generated_name=True,
)
AGENT_EXECUTION = KindDescriptor(
    kind_pb2.AGENT_EXECUTION,
    "agent_execution",
    agentexecution_api.AgentExecution,
    agentexecution_io.AgentExecutionList,
    parent_ids=_agent_execution_parents,
    is_execution=True,
    generated_name=True,
)
ENVIRONMENT = KindDescriptor(
    kind_pb2.ENVIRONMENT,
    "environment",
    environment_api.Environment,
    environment_io.EnvironmentList,
)
EXECUTION_CONTEXT = KindDescriptor(
    kind_pb2.EXECUTION_CONTEXT,
    "execution_context",
    executioncontext_api.ExecutionContext,
    executioncontext_io.ExecutionContextList,
    parent_ids=_execution_context_parents,
    generated_name=True,
)
SKILL = KindDescriptor(kind_pb2.SKILL, "skill", skill_api.Skill, skill_io.SkillList)
MCP_SERVER = KindDescriptor(
    kind_pb2.MCP_SERVER, "mcp_server", mcpserver_api.McpServer, mcpserver_io.McpServerList
)

ALL_KINDS: tuple[KindDescriptor, ...] = (
    WORKFLOW,
    WORKFLOW_INSTANCE,
    WORKFLOW_EXECUTION,
    AGENT,
    AGENT_INSTANCE,
    SESSION,
    AGENT_EXECUTION,
    ENVIRONMENT,
    EXECUTION_CONTEXT,
    SKILL,
    MCP_SERVER,
)

# Which kinds hang under which: a parent cannot be deleted while children exist.
CHILD_KINDS: dict[int, tuple[KindDescriptor, ...]] = {
    kind_pb2.WORKFLOW: (WORKFLOW_INSTANCE, WORKFLOW_EXECUTION),
    kind_pb2.WORKFLOW_INSTANCE: (WORKFLOW_EXECUTION,),
    kind_pb2.AGENT: (AGENT_INSTANCE, AGENT_EXECUTION),
    kind_pb2.AGENT_INSTANCE: (SESSION, AGENT_EXECUTION),
    kind_pb2.SESSION: (AGENT_EXECUTION,),
}


def by_kind(kind: int) -> KindDescriptor:
    """The descriptor of an ``ApiResourceKind`` value.

    Raises:
        KeyError: Not a stored kind (e.g. UNSPECIFIED).
    """
    for descriptor in ALL_KINDS:
        if descriptor.kind == kind:
            return descriptor
    raise KeyError(kind)
