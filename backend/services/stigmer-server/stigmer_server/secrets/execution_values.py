"""The values one execution may read (a workflow's ``$secrets``, an agent's variables), in clear.

Its instance's environments in order (later wins), then (an agent execution) its
``runtime_env``, then its ExecutionContexts (which override them): the same
precedence the runners apply. Used by the runner-only ResolveSecrets and
ResolveVariables RPCs and by the status scrubber, which must know the
execution's secret values to keep them out of what it stores.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from google.protobuf.message import Message
from stigmer_common.secret_redaction import process_redactor
from stigmer_common.secret_seal import SecretSealer

from stigmer_server import kinds
from stigmer_server.repository import Repository
from stigmer_server.secrets.sealed_values import opened

_PAGE = 500


@dataclass
class ExecutionValues:
    """name -> clear value (what ``$secrets`` sees), and every secret value met.

    ``secret_values`` keeps overridden ones too: an environment's secret that a
    context overrides is still a secret, and still scrubbed.
    """

    values: dict[str, str] = field(default_factory=dict)
    secret_values: set[str] = field(default_factory=set)
    # The names whose current value is a secret (a later plain value clears it).
    secret_names: set[str] = field(default_factory=set)

    def add(self, name: str, value: str, is_secret: bool) -> None:
        self.values[name] = value
        if is_secret:
            self.secret_names.add(name)
        else:
            self.secret_names.discard(name)
        if is_secret and value:
            self.secret_values.add(value)


def execution_values(
    repository: Repository,
    sealer: SecretSealer | None,
    execution: Message,
    default_org: str,
) -> ExecutionValues:
    """Everything the execution's environments and contexts hold (see module doc)."""
    found = ExecutionValues()
    instance = _instance(repository, execution)
    if instance is not None:
        for reference in getattr(instance, "spec").environment_refs:  # noqa: B009
            # No org: the instance's own (as resolved on write), never the default.
            org = reference.org or getattr(instance, "metadata").org or default_org  # noqa: B009
            environment = repository.get_by_slug(kinds.ENVIRONMENT, org, reference.slug)
            if environment is not None:
                for name, value, is_secret in opened(environment, sealer):
                    found.add(name, value, is_secret)
    spec = getattr(execution, "spec")  # noqa: B009
    if "runtime_env" in spec.DESCRIPTOR.fields_by_name:
        # An agent execution's own variables: plain values given with it.
        for name, value in spec.runtime_env.items():
            found.add(name, value, False)
    execution_id = getattr(execution, "metadata").id  # noqa: B009
    token = ""
    while True:
        page = repository.list(
            kinds.EXECUTION_CONTEXT,
            org="",
            parent_id=execution_id,
            page_size=_PAGE,
            page_token=token,
        )
        for context in page.items:
            for name, value, is_secret in opened(context, sealer):
                found.add(name, value, is_secret)
        token = page.next_page_token
        if not token:
            # This process now holds them in memory: keep them out of its logs too.
            process_redactor().add(found.secret_values)
            return found


def _instance(repository: Repository, execution: Message) -> Message | None:
    """The instance of a workflow or agent execution (None if it has none)."""
    status = getattr(execution, "status")  # noqa: B009
    spec = getattr(execution, "spec")  # noqa: B009
    fields = status.DESCRIPTOR.fields_by_name
    if "workflow_instance_id" in fields:
        instance_id = status.workflow_instance_id or spec.workflow_instance_id
        return repository.get(kinds.WORKFLOW_INSTANCE, instance_id) if instance_id else None
    if "agent_instance_id" in fields:
        instance_id = status.agent_instance_id or spec.agent_instance_id
        return repository.get(kinds.AGENT_INSTANCE, instance_id) if instance_id else None
    return None
