"""`call: openapi`, `call: grpc` and `call: activity` through the engine."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker
from tests.support.engine_runner import EngineRunner
from tests.support.fake_http_services import FakeHttpServices, rewrite_urls


def _doc(name: str, tasks: str) -> str:
    header = f"document:\n  dsl: '1.0.3'\n  namespace: test\n  name: {name}\n  version: '1.0.0'\n"
    return header + "do:\n" + tasks


async def test_openapi_content_with_output_filter(
    engine: EngineRunner, fake_http_services: FakeHttpServices
) -> None:
    definition = _doc(
        "openapi-content",
        """
  - findPet:
      call: openapi
      with:
        document:
          endpoint: "https://petstore.swagger.io/v2/swagger.json"
        operationId: findPetsByStatus
        parameters:
          status: ${ .status }
      output:
        as: . | length
""",
    )
    output = await engine.run(
        rewrite_urls(definition, fake_http_services.base_url), {"status": "available"}
    )
    assert output == 2


async def test_openapi_response_output(
    engine: EngineRunner, fake_http_services: FakeHttpServices
) -> None:
    definition = _doc(
        "openapi-response",
        """
  - getPet:
      call: openapi
      with:
        document:
          endpoint: "https://petstore.swagger.io/v2/swagger.json"
        operationId: getPetById
        parameters:
          petId: ${ .petId }
        output: response
""",
    )
    output = await engine.run(rewrite_urls(definition, fake_http_services.base_url), {"petId": 1})
    assert output["statusCode"] == 200
    assert output["request"]["method"] == "get"
    assert output["content"]["name"] == "doggie"


async def test_grpc_call_with_arguments_from_input(
    engine: EngineRunner, greeter_port: int, greeter_proto: Path
) -> None:
    definition = _doc(
        "grpc",
        f"""
  - greet:
      call: grpc
      with:
        proto:
          endpoint: {greeter_proto.as_uri()}
        service:
          name: greetapi.v1.Greeter
          host: 127.0.0.1
          port: {greeter_port}
        method: SayHello
        arguments:
          name: ${{ .user.preferredDisplayName }}
          times: 2
""",
    )
    output = await engine.run(definition, {"user": {"preferredDisplayName": "Ada"}})
    assert output == {"message": "Hello, Ada!", "echoes": ["Ada", "Ada"], "name_length": 3}


async def test_grpc_not_found_is_catchable_by_status(
    engine: EngineRunner, greeter_port: int, greeter_proto: Path
) -> None:
    definition = _doc(
        "grpc-catch",
        f"""
  - attempt:
      try:
        - fail:
            call: grpc
            with:
              proto:
                endpoint: {greeter_proto.as_uri()}
              service:
                name: greetapi.v1.Greeter
                host: 127.0.0.1
                port: {greeter_port}
              method: Fail
              arguments:
                code: NOT_FOUND
                detail: no such greeting
      catch:
        errors:
          with:
            status: 404
        as: e
        do:
          - keep:
              set:
                caught: ${{ $e.detail }}
""",
    )
    output = await engine.run(definition, {})
    assert "no such greeting" in output["caught"]


@activity.defn(name="test.Multiply")
async def multiply(payload: dict[str, Any]) -> dict[str, Any]:
    return {"product": payload["a"] * payload["b"]}


@activity.defn(name="test.Refuse")
async def refuse(payload: Any) -> None:
    raise ApplicationError(
        "Refused",
        {
            "type": "https://example.com/errors/refused",
            "status": 422,
            "title": "Refused",
            "detail": "not today",
        },
        type="https://example.com/errors/refused",
        non_retryable=True,
    )


async def test_call_activity_on_the_engine_queue(engine: EngineRunner) -> None:
    definition = _doc(
        "activity",
        """
  - multiply:
      call: activity
      with:
        name: test.Multiply
        input:
          a: ${ .x }
          b: 7
        startToCloseTimeout: PT10S
""",
    )
    output = await engine.run(definition, {"x": 6}, extra_activities=[multiply])
    assert output == {"product": 42}


async def test_call_activity_on_another_queue_keeps_custom_problem_details(
    engine: EngineRunner,
) -> None:
    queue = f"other-{uuid.uuid4()}"
    definition = _doc(
        "activity-queue",
        f"""
  - refuse:
      call: activity
      with:
        name: test.Refuse
        taskQueue: {queue}
        input: {{}}
""",
    )
    async with Worker(engine.client, task_queue=queue, activities=[refuse]):
        problem = await engine.fault(definition, {})
    assert problem["type"] == "https://example.com/errors/refused"
    assert problem["status"] == 422
    assert problem["instance"] == "/do/0/refuse"
