"""The call-openapi activity: documents from the fake server, requests built from them."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.testing import ActivityEnvironment
from tests.support.fake_http_services import FakeHttpServices
from tests.support.problem_assertions import expect_problem
from workflow_runner.activities.http_exchange import HttpExchange
from workflow_runner.activities.http_models import OpenApiCallInput
from workflow_runner.activities.openapi_call import OpenApiActivities
from workflow_runner.activities.openapi_operation import build_request


@pytest.fixture
def openapi(exchange: HttpExchange) -> OpenApiActivities:
    return OpenApiActivities(exchange)


async def _run(activities: OpenApiActivities, call: OpenApiCallInput) -> Any:
    return (await ActivityEnvironment().run(activities.call_openapi, call)).value


def _swagger(fake: FakeHttpServices) -> str:
    return f"{fake.petstore_url}/v2/swagger.json"


def _openapi3(fake: FakeHttpServices) -> str:
    return f"{fake.petstore_url}/api/v3/openapi.json"


@pytest.mark.parametrize("document", [_swagger, _openapi3])
async def test_find_pets_by_status_content(
    openapi: OpenApiActivities, fake_http_services: FakeHttpServices, document: Any
) -> None:
    value = await _run(
        openapi,
        OpenApiCallInput(
            document_uri=document(fake_http_services),
            operation_id="findPetsByStatus",
            parameters={"status": "available"},
        ),
    )
    assert [pet["name"] for pet in value] == ["doggie", "milou"]


@pytest.mark.parametrize("document", [_swagger, _openapi3])
async def test_get_pet_by_id_response_output(
    openapi: OpenApiActivities, fake_http_services: FakeHttpServices, document: Any
) -> None:
    value = await _run(
        openapi,
        OpenApiCallInput(
            document_uri=document(fake_http_services),
            operation_id="getPetById",
            parameters={"petId": 1},
            output="response",
        ),
    )
    assert value["request"]["method"] == "get"
    assert value["request"]["uri"] == f"{fake_http_services.petstore_url}/v2/pet/1"
    assert value["statusCode"] == 200
    assert value["content"]["name"] == "doggie"


@pytest.mark.parametrize("document", [_swagger, _openapi3])
async def test_add_pet_sends_the_body(
    openapi: OpenApiActivities, fake_http_services: FakeHttpServices, document: Any
) -> None:
    value = await _run(
        openapi,
        OpenApiCallInput(
            document_uri=document(fake_http_services),
            operation_id="addPet",
            parameters={"body": {"name": "rex", "status": "sold"}},
        ),
    )
    assert value == {"name": "rex", "status": "sold", "id": 5}
    assert fake_http_services.state.pets[5]["name"] == "rex"


async def test_document_is_fetched_once_per_ttl(
    openapi: OpenApiActivities, fake_http_services: FakeHttpServices
) -> None:
    call = OpenApiCallInput(
        document_uri=_swagger(fake_http_services),
        operation_id="getPetById",
        parameters={"petId": 2},
    )
    await _run(openapi, call)
    await _run(openapi, call)
    fetches = [r for r in fake_http_services.state.requests if r[1].endswith("swagger.json")]
    assert len(fetches) == 1


async def test_http_errors_keep_their_status(
    openapi: OpenApiActivities, fake_http_services: FakeHttpServices
) -> None:
    await expect_problem(
        _run(
            openapi,
            OpenApiCallInput(
                document_uri=_swagger(fake_http_services),
                operation_id="getPetById",
                parameters={"petId": 999},
            ),
        ),
        "communication",
        404,
    )


async def test_unknown_operation_and_missing_parameter_are_named(
    openapi: OpenApiActivities, fake_http_services: FakeHttpServices
) -> None:
    details = await expect_problem(
        _run(
            openapi,
            OpenApiCallInput(document_uri=_swagger(fake_http_services), operation_id="nope"),
        ),
        "configuration",
        400,
    )
    assert "'nope'" in details["detail"] and "getPetById" in details["detail"]
    details = await expect_problem(
        _run(
            openapi,
            OpenApiCallInput(document_uri=_swagger(fake_http_services), operation_id="getPetById"),
        ),
        "configuration",
    )
    assert "'petId'" in details["detail"]


async def test_document_that_is_not_openapi(
    openapi: OpenApiActivities, fake_http_services: FakeHttpServices
) -> None:
    details = await expect_problem(
        _run(
            openapi,
            OpenApiCallInput(
                document_uri=f"{fake_http_services.httpbin_url}/json", operation_id="x"
            ),
        ),
        "configuration",
    )
    assert "'document'" in details["detail"]


def test_build_request_places_every_parameter_location() -> None:
    document = {
        "openapi": "3.1.0",
        "servers": [
            {"url": "https://{region}.api.test/v1", "variables": {"region": {"default": "eu"}}}
        ],
        "paths": {
            "/items/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": True}],
                "patch": {
                    "operationId": "patchItem",
                    "parameters": [
                        {"name": "dry", "in": "query"},
                        {"name": "X-Req", "in": "header"},
                        {"name": "session", "in": "cookie"},
                    ],
                    "requestBody": {"content": {"application/merge-patch+json": {}}},
                },
            }
        },
    }
    request = build_request(
        document,
        "https://docs.test/openapi.json",
        "patchItem",
        {"id": "a/b", "dry": True, "X-Req": 7, "session": "s1", "name": "new", "size": 2},
    )
    assert request.method == "patch"
    assert request.uri == "https://eu.api.test/v1/items/a%2Fb"
    assert request.query == {"dry": True}
    assert request.headers == {
        "X-Req": "7",
        "Cookie": "session=s1",
        "Content-Type": "application/merge-patch+json",
    }
    assert request.body == {"name": "new", "size": 2}


def test_swagger_form_data_is_form_encoded() -> None:
    document = {
        "swagger": "2.0",
        "host": "pets.test",
        "basePath": "/v2",
        "schemes": ["https"],
        "paths": {
            "/pet/{petId}": {
                "post": {
                    "operationId": "updatePetWithForm",
                    "consumes": ["application/x-www-form-urlencoded"],
                    "parameters": [
                        {"name": "petId", "in": "path", "required": True},
                        {"name": "name", "in": "formData"},
                    ],
                }
            }
        },
    }
    request = build_request(
        document, "http://docs.test/swagger.json", "updatePetWithForm", {"petId": 3, "name": "rex"}
    )
    assert request.uri == "https://pets.test/v2/pet/3"
    assert request.body == {"name": "rex"}
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
