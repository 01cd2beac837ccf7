"""Skills: the Skill resources an agent (or a sub-agent) references, given to it as
part of its instructions.

A Skill is a described piece of Markdown (``spec.description``,
``spec.markdown_content``). Each one the spec references is appended to the
system prompt under its name, in reference order, so the model reads it on
every call; a reference that does not resolve fails the execution as an
AgentSpecError naming it (not retried).
"""

from __future__ import annotations

from collections.abc import Sequence

import grpc
from stigmer.agent.v1 import api_pb2 as agent_api
from stigmer.commons.v1 import kind_pb2, metadata_pb2

from agent_runner.errors import agent_spec_error
from agent_runner.stigmer_api import AgentServerApi


async def instructions_with_skills(
    api: AgentServerApi,
    instructions: str,
    references: Sequence[metadata_pb2.ApiResourceReference],
) -> str:
    """``instructions`` followed by each referenced skill (unchanged when none)."""
    sections = []
    for reference in references:
        wanted = metadata_pb2.ApiResourceReference()
        wanted.CopyFrom(reference)
        wanted.kind = kind_pb2.SKILL
        try:
            skill = await api.get_skill(wanted)
        except grpc.aio.AioRpcError as error:
            if error.code() != grpc.StatusCode.NOT_FOUND:
                raise
            raise agent_spec_error(f"skill {reference.slug!r}: not found") from None
        name = skill.metadata.name or skill.metadata.slug
        about = f"{skill.spec.description}\n\n" if skill.spec.description else ""
        sections.append(f"## Skill: {name}\n\n{about}{skill.spec.markdown_content.strip()}")
    if not sections:
        return instructions
    return instructions + "\n\n# Skills\n\n" + "\n\n".join(sections)


async def with_skills(api: AgentServerApi, agent: agent_api.Agent) -> agent_api.Agent:
    """A copy of ``agent`` whose (sub-agents') instructions carry their skills."""
    given = agent_api.Agent()
    given.CopyFrom(agent)
    given.spec.instructions = await instructions_with_skills(
        api, agent.spec.instructions, agent.spec.skill_refs
    )
    for sub in given.spec.sub_agents:
        sub.instructions = await instructions_with_skills(api, sub.instructions, sub.skill_refs)
    return given
