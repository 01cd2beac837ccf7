"""The platform secret provider reads environments in the instance's org."""

from __future__ import annotations

from stigmer.commons.v1 import kind_pb2, metadata_pb2
from stigmer.environment.v1 import api_pb2 as environment_api
from stigmer.executioncontext.v1 import io_pb2 as context_io
from stigmer.workflowexecution.v1 import api_pb2 as execution_api
from stigmer.workflowinstance.v1 import api_pb2 as instance_api
from workflow_runner.secrets.platform import ExecutionSecretProvider


class Server:
    """Environments by (org, slug), as stigmer-server answers a runner of every org."""

    def __init__(self) -> None:
        self.environments = {
            ("acme", "prod"): {"TOKEN": "acme-token"},
            ("local", "prod"): {"TOKEN": "local-token"},
            ("shared", "base"): {"REGION": "eu"},
        }

    async def get_execution(self, execution_id: str) -> execution_api.WorkflowExecution:
        execution = execution_api.WorkflowExecution()
        execution.metadata.id = execution_id
        execution.metadata.org = "acme"
        execution.status.workflow_instance_id = "win-1"
        return execution

    async def get_instance(self, instance_id: str) -> instance_api.WorkflowInstance:
        instance = instance_api.WorkflowInstance()
        instance.metadata.org = "acme"
        instance.spec.environment_refs.add(slug="prod", kind=kind_pb2.ENVIRONMENT)
        instance.spec.environment_refs.add(org="shared", slug="base", kind=kind_pb2.ENVIRONMENT)
        return instance

    async def get_environment(
        self, reference: metadata_pb2.ApiResourceReference
    ) -> environment_api.Environment:
        environment = environment_api.Environment()
        for name, value in self.environments[(reference.org, reference.slug)].items():
            environment.spec.data[name].value = value
        return environment

    async def list_execution_contexts(self, execution_id: str) -> context_io.ExecutionContextList:
        return context_io.ExecutionContextList()


async def test_an_environment_reference_without_org_is_the_instances_org() -> None:
    values = await ExecutionSecretProvider(Server()).resolve(["TOKEN", "REGION"], "wex-1")
    assert values == {"TOKEN": "acme-token", "REGION": "eu"}
