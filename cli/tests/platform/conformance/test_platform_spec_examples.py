"""The spec's examples through the platform, each equal to its `dsl` result.

Every example is either run here or listed in ``NOT_RUN`` with the reason (a test
keeps that honest). A run applies the example over gRPC, runs an execution with
the input and reads the final output or error from the execution; the same text
runs on the bare engine (the `dsl` path) on the same dev server, and the two
outcomes must be equal. The examples and inputs of the `dsl` path's I/O test
(tests/io_tasks/test_spec_examples_io.py) are reused as they are; examples that
fault under `dsl` (containers, asyncapi, mcp) must fault the same way here.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_platform import Platform
from outcomes import Outcome, run_on_engine, run_on_platform
from stigmer_cli.api import StigmerClient
from stigmer_dsl.converter import workflow_from_dsl
from stigmer_dsl.loader import parse_document
from stigmer_testing.reference_documents import spec_examples
from temporalio.testing import WorkflowEnvironment
from test_platform_events_examples import FILES as EVENT_FILES
from tests.engine.harness import EngineHarness
from tests.io_tasks.test_spec_examples_io import CONTAINER
from tests.io_tasks.test_spec_examples_io import NOT_RUN as IO_NOT_RUN
from tests.io_tasks.test_spec_examples_io import RUN as IO_RUN
from tests.io_tasks.test_spec_examples_io import _definition as io_definition
from tests.support.fake_http_services import FakeHttpServices
from tests.support.greeter_server import start_spec_greeter_server
from workflow_runner.activities.io_activities import build_io_activities
from workflow_runner.catalog import DirectoryCatalog
from workflow_runner.engine.inputs import engine_input
from workflow_runner.events.publisher import BusConfig
from workflow_runner.wiring.settings import RunSettings
from workflow_runner.wiring.worker import EngineProviders, build_engine_worker

pytestmark = pytest.mark.e2e

NEEDS_SECRETS = (
    "its secret mySecret is an object (authority, grant, client); ExecutionContext and "
    "Environment values are strings"
)
WAITS_FOR_EVENTS = (
    "a listen inside a for loop over pets, one checkup event per pet; the `dsl` path "
    "does not run it either"
)


@dataclass(frozen=True)
class Case:
    file: str
    input: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.file}-{self.input}" if self.input else self.file


CASES: tuple[Case, ...] = (
    *(
        Case(e.file, dict(e.input))
        for e in IO_RUN
        if e.file not in ("authentication-oauth2-secret.yaml", "authentication-oidc-secret.yaml")
    ),
    *(Case(name, {}) for name in CONTAINER),
    Case("switch-then-string.yaml", {"orderType": "electronic"}),
    Case("switch-then-string.yaml", {"orderType": "physical"}),
    Case("switch-then-string.yaml", {"orderType": "digital"}),
    Case("raise-inline.yaml", {}),
    Case("raise-reusable.yaml", {}),
    Case("emit.yaml", {}),
    Case("try-catch-then.yaml", {"petId": 1}),
    Case("try-catch-then.yaml", {"petId": 404}),
    Case("call-mcp.yaml", {}),
    *(
        Case(f"call-asyncapi-{name}.yaml", {})
        for name in (
            "publish",
            "subscribe-consume-amount",
            "subscribe-consume-forever-foreach",
            "subscribe-consume-until",
            "subscribe-consume-while",
        )
    ),
)
#: Run in their own test, concurrently (each waits 30 s).
WAITS = ("wait-duration-inline.yaml", "wait-duration-iso8601.yaml")
GRPC = "call-grpc.yaml"
SUBFLOW = "run-subflow.yaml"
#: The workflow run-subflow.yaml runs by reference (the spec does not ship one).
REGISTER_CUSTOMER = """
document: {dsl: '1.0.3', namespace: test, name: register-customer, version: '0.1.0'}
do:
  - register:
      set:
        registered: ${ .customer }
        at: ${ $workflow.definition.document.name }
"""

NOT_RUN: dict[str, str] = {
    **{k: v for k, v in IO_NOT_RUN.items() if k != "try-catch-then.yaml"},
    "authentication-oauth2-secret.yaml": NEEDS_SECRETS,
    "authentication-oidc-secret.yaml": NEEDS_SECRETS,
    "set.yaml": "its input is a list ($workflow.input[0]); an execution's input is an object",
    "set-expression.yaml": "its input is a list ($workflow.input[0]); an execution's input is an object",
    "for.yaml": WAITS_FOR_EVENTS,
}


async def _both(
    platform: Platform, engine: EngineHarness, definition: str, workflow_input: dict[str, Any]
) -> tuple[Outcome, Outcome]:
    expected = await run_on_engine(engine, definition, workflow_input)
    actual = await run_on_platform(platform, definition, workflow_input)
    return expected, actual


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
async def test_example_on_the_platform(
    shared_platform: Platform,
    engine: EngineHarness,
    fake_http_services: FakeHttpServices,
    case: Case,
) -> None:
    definition = io_definition(case.file, fake_http_services)
    expected = await run_on_engine(engine, definition, case.input)
    fake_http_services.state.reset()  # the platform run starts from the same fake data
    actual = await run_on_platform(shared_platform, definition, case.input)
    assert actual.comparable() == expected.comparable(), shared_platform.logs()[-4000:]


@pytest.mark.asyncio(loop_scope="session")
async def test_wait_examples_on_the_platform(
    shared_platform: Platform, engine: EngineHarness, fake_http_services: FakeHttpServices
) -> None:
    # All four runs at once: the examples share no state, and each waits 30 s.
    definitions = [io_definition(name, fake_http_services) for name in WAITS]
    runs = await asyncio.gather(
        *(run_on_engine(engine, text, {}) for text in definitions),
        *(run_on_platform(shared_platform, text, {}) for text in definitions),
    )
    for name, expected, actual in zip(WAITS, runs[: len(WAITS)], runs[len(WAITS) :], strict=True):
        assert expected.completed, (name, expected)
        assert actual.comparable() == expected.comparable(), name


@pytest.mark.asyncio(loop_scope="session")
async def test_grpc_example_on_the_platform(
    shared_platform: Platform,
    engine: EngineHarness,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # `file://app/greet.proto` is relative to the worker's working directory: the
    # platform's runner starts in PROTO_DIR (conftest); the in-process engine chdirs.
    server, port = await start_spec_greeter_server(tmp_path)
    monkeypatch.chdir(shared_platform.runner_cwd or ".")
    try:
        text = next(p for p in spec_examples() if p.name == GRPC).read_text()
        assert "port: 5011" in text
        definition = text.replace("port: 5011", f"port: {port}")
        workflow_input = {"user": {"preferredDisplayName": "Ada"}}
        expected, actual = await _both(shared_platform, engine, definition, workflow_input)
    finally:
        await server.stop(None)
    assert expected.output == {"message": "Hello, Ada"}
    assert actual.comparable() == expected.comparable()


@pytest.mark.asyncio(loop_scope="session")
async def test_subflow_example_on_the_platform(
    shared_platform: Platform, dev_server: WorkflowEnvironment, tmp_path: Path
) -> None:
    # `dsl` side: the child from a directory catalog; platform: the child stored by Apply.
    text = next(p for p in spec_examples() if p.name == SUBFLOW).read_text()
    workflow_input = {"user": {"name": "Ada"}}
    (tmp_path / "register-customer.yaml").write_text(REGISTER_CUSTOMER)
    queue = f"subflow-{uuid.uuid4()}"
    async with (
        httpx.AsyncClient() as http,
        build_engine_worker(
            dev_server.client,
            task_queue=queue,
            providers=EngineProviders(
                bus=BusConfig(task_queue=queue, bus=f"sub-{uuid.uuid4().hex[:8]}"),
                catalog=DirectoryCatalog(tmp_path),
                io_activities=build_io_activities(http),
            ),
        ),
    ):
        handle = await dev_server.client.start_workflow(
            "ExecuteServerlessWorkflow",
            engine_input(definition=text, input=workflow_input),
            id=queue,
            task_queue=queue,
            memo=RunSettings(lifecycle_events=False).memo(),
        )
        expected = await handle.result()
    async with StigmerClient(shared_platform.server.address) as client:
        await client.apply_workflow(workflow_from_dsl(parse_document(REGISTER_CUSTOMER))[0])
    actual = await run_on_platform(shared_platform, text, workflow_input)
    assert expected == {"registered": ".user", "at": "register-customer"}
    assert actual.comparable() == Outcome(True, output=expected, tasks=actual.tasks).comparable()
    assert actual.tasks[:1] == ["registerCustomer"]


def test_every_example_is_run_or_explained() -> None:
    names = {path.name for path in spec_examples()}
    run = {case.file for case in CASES} | set(WAITS) | {GRPC, SUBFLOW} | EVENT_FILES
    assert not run & set(NOT_RUN), sorted(run & set(NOT_RUN))
    assert names == run | set(NOT_RUN), sorted(names ^ (run | set(NOT_RUN)))
