"""The call-http activity against the local fake petstore/httpbin server."""

from __future__ import annotations

import base64

import httpx
from temporalio.testing import ActivityEnvironment
from tests.support.fake_http_services import OAUTH2_CLIENTS, FakeHttpServices
from tests.support.problem_assertions import expect_problem
from workflow_runner.activities.http_call import HttpActivities
from workflow_runner.activities.http_exchange import HttpExchange
from workflow_runner.activities.http_models import (
    HttpAuthentication,
    HttpCallInput,
    OAuth2Settings,
)


async def _call(exchange: HttpExchange, call: HttpCallInput) -> object:
    output = await ActivityEnvironment().run(HttpActivities(exchange).call_http, call)
    return output.value


async def test_content_output_parses_json(
    exchange: HttpExchange, fake_http_services: FakeHttpServices
) -> None:
    value = await _call(
        exchange,
        HttpCallInput(
            method="get",
            uri=f"{fake_http_services.petstore_url}/v2/pet/findByStatus?status=available",
        ),
    )
    assert isinstance(value, list)
    assert {pet["name"] for pet in value} == {"doggie", "milou"}


async def test_response_output_has_request_status_headers_content(
    exchange: HttpExchange, fake_http_services: FakeHttpServices
) -> None:
    uri = f"{fake_http_services.petstore_url}/v2/pet/1"
    value = await _call(
        exchange,
        HttpCallInput(method="GET", uri=uri, headers={"X-Trace": "t1"}, output="response"),
    )
    assert isinstance(value, dict)
    assert value["request"]["method"] == "get"
    assert value["request"]["uri"] == uri
    assert value["request"]["headers"]["x-trace"] == "t1"
    assert value["statusCode"] == 200
    assert value["headers"]["content-type"] == "application/json"
    assert value["content"]["name"] == "doggie"


async def test_raw_output_is_base64_of_the_body(
    exchange: HttpExchange, fake_http_services: FakeHttpServices
) -> None:
    value = await _call(
        exchange,
        HttpCallInput(method="get", uri=f"{fake_http_services.httpbin_url}/bytes/5", output="raw"),
    )
    assert isinstance(value, str)
    assert base64.b64decode(value) == bytes(range(5))


async def test_binary_content_is_base64_and_text_is_text(
    exchange: HttpExchange, fake_http_services: FakeHttpServices
) -> None:
    binary = await _call(
        exchange, HttpCallInput(method="get", uri=f"{fake_http_services.httpbin_url}/bytes/3")
    )
    assert binary == base64.b64encode(bytes(range(3))).decode()
    html = await _call(
        exchange, HttpCallInput(method="get", uri=f"{fake_http_services.httpbin_url}/html")
    )
    assert isinstance(html, str) and "Herman Melville" in html


async def test_query_merges_with_uri_query_and_repeats_lists(
    exchange: HttpExchange, fake_http_services: FakeHttpServices
) -> None:
    value = await _call(
        exchange,
        HttpCallInput(
            method="get",
            uri=f"{fake_http_services.httpbin_url}/anything?a=1",
            query={"b": ["x", "y"], "flag": True, "skip": None, "n": 3},
        ),
    )
    assert isinstance(value, dict)
    assert value["args"] == {"a": "1", "b": ["x", "y"], "flag": "true", "n": "3"}


async def test_json_body_is_sent_as_json(
    exchange: HttpExchange, fake_http_services: FakeHttpServices
) -> None:
    body = {"name": "rex", "tags": [1, 2], "nested": {"ok": True}}
    value = await _call(
        exchange,
        HttpCallInput(method="post", uri=f"{fake_http_services.httpbin_url}/post", body=body),
    )
    assert isinstance(value, dict)
    assert value["json"] == body
    assert value["headers"]["Content-Type"] == "application/json"


async def test_form_body_follows_the_content_type_header(
    exchange: HttpExchange, fake_http_services: FakeHttpServices
) -> None:
    value = await _call(
        exchange,
        HttpCallInput(
            method="post",
            uri=f"{fake_http_services.httpbin_url}/anything",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            body={"a": "1", "b": True},
        ),
    )
    assert isinstance(value, dict)
    assert value["form"] == {"a": "1", "b": "true"}


async def test_post_creates_a_pet(
    exchange: HttpExchange, fake_http_services: FakeHttpServices
) -> None:
    created = await _call(
        exchange,
        HttpCallInput(
            method="post",
            uri=f"{fake_http_services.petstore_url}/v2/pet",
            body={"name": "rex", "status": "pending"},
        ),
    )
    assert isinstance(created, dict) and created["id"] == 5
    assert fake_http_services.state.pets[5]["name"] == "rex"


async def test_not_found_is_a_communication_error_with_the_real_status(
    exchange: HttpExchange, fake_http_services: FakeHttpServices
) -> None:
    details = await expect_problem(
        _call(
            exchange,
            HttpCallInput(
                method="get", uri=f"{fake_http_services.petstore_url}/v2/pet/getPetByName/Milou"
            ),
        ),
        "communication",
        404,
    )
    assert "404" in details["title"]


async def test_server_error_status_is_kept(
    exchange: HttpExchange, fake_http_services: FakeHttpServices
) -> None:
    await expect_problem(
        _call(
            exchange,
            HttpCallInput(method="get", uri=f"{fake_http_services.httpbin_url}/status/503"),
        ),
        "communication",
        503,
    )


async def test_redirect_false_fails_on_3xx_and_true_follows(
    exchange: HttpExchange, fake_http_services: FakeHttpServices
) -> None:
    target = f"{fake_http_services.httpbin_url}/anything/landed"
    uri = f"{fake_http_services.httpbin_url}/redirect-to?url={target}&status_code=302"
    await expect_problem(
        _call(exchange, HttpCallInput(method="get", uri=uri)), "communication", 302
    )
    value = await _call(exchange, HttpCallInput(method="get", uri=uri, redirect=True))
    assert isinstance(value, dict) and value["url"] == target


async def test_redirect_true_accepts_a_final_3xx(
    exchange: HttpExchange, fake_http_services: FakeHttpServices
) -> None:
    value = await _call(
        exchange,
        HttpCallInput(
            method="get",
            uri=f"{fake_http_services.httpbin_url}/status/304",
            redirect=True,
            output="response",
        ),
    )
    assert isinstance(value, dict) and value["statusCode"] == 304


async def test_basic_authentication(
    exchange: HttpExchange, fake_http_services: FakeHttpServices
) -> None:
    uri = f"{fake_http_services.httpbin_url}/basic-auth/serverless-workflow/conformance-test"
    good = HttpAuthentication(
        scheme="basic", username="serverless-workflow", password="conformance-test"
    )
    value = await _call(exchange, HttpCallInput(method="get", uri=uri, authentication=good))
    assert value == {"authenticated": True, "user": "serverless-workflow"}
    bad = HttpAuthentication(scheme="basic", username="serverless-workflow", password="nope")
    await expect_problem(
        _call(exchange, HttpCallInput(method="get", uri=uri, authentication=bad)),
        "communication",
        401,
    )


async def test_bearer_authentication_and_redacted_request_headers(
    exchange: HttpExchange, fake_http_services: FakeHttpServices
) -> None:
    value = await _call(
        exchange,
        HttpCallInput(
            method="get",
            uri=f"{fake_http_services.httpbin_url}/bearer",
            authentication=HttpAuthentication(scheme="bearer", token="s3cr3t"),
            output="response",
        ),
    )
    assert isinstance(value, dict)
    assert value["content"] == {"authenticated": True, "token": "s3cr3t"}
    assert "authorization" not in {k.lower() for k in value["request"]["headers"]}
    await expect_problem(
        _call(
            exchange,
            HttpCallInput(
                method="get",
                uri=f"{fake_http_services.httpbin_url}/bearer",
                authentication=HttpAuthentication(scheme="bearer", token=""),
            ),
        ),
        "configuration",
        400,
    )


async def test_digest_authentication(
    exchange: HttpExchange, fake_http_services: FakeHttpServices
) -> None:
    uri = f"{fake_http_services.httpbin_url}/digest-auth/auth/alice/wonder"
    value = await _call(
        exchange,
        HttpCallInput(
            method="get",
            uri=uri,
            authentication=HttpAuthentication(scheme="digest", username="alice", password="wonder"),
        ),
    )
    assert value == {"authenticated": True, "user": "alice"}
    await expect_problem(
        _call(
            exchange,
            HttpCallInput(
                method="get",
                uri=uri,
                authentication=HttpAuthentication(
                    scheme="digest", username="alice", password="wrong"
                ),
            ),
        ),
        "communication",
        401,
    )


def _oauth2(fake: FakeHttpServices, secret: str, method: str) -> HttpAuthentication:
    client_id = next(iter(OAUTH2_CLIENTS))
    return HttpAuthentication(
        scheme="oauth2",
        oauth2=OAuth2Settings(
            token_url=f"{fake.httpbin_url}/oauth2/token",
            client_id=client_id,
            client_secret=secret,
            client_authentication=method,
            scopes=["api"],
            audiences=["runtime"],
        ),
    )


async def test_oauth2_client_credentials_token_is_requested_once_and_used(
    exchange: HttpExchange, fake_http_services: FakeHttpServices
) -> None:
    secret = OAUTH2_CLIENTS["workflow-runtime-id"]
    call = HttpCallInput(
        method="get",
        uri=f"{fake_http_services.httpbin_url}/oauth2/protected",
        authentication=_oauth2(fake_http_services, secret, "client_secret_post"),
    )
    assert await _call(exchange, call) == {"authenticated": True}
    assert await _call(exchange, call) == {"authenticated": True}
    requests = fake_http_services.state.token_requests
    assert len(requests) == 1  # cached by the authenticator
    assert requests[0]["scope"] == "api" and requests[0]["audience"] == "runtime"


async def test_oauth2_client_secret_basic(
    exchange: HttpExchange, fake_http_services: FakeHttpServices
) -> None:
    secret = OAUTH2_CLIENTS["workflow-runtime-id"]
    call = HttpCallInput(
        method="get",
        uri=f"{fake_http_services.httpbin_url}/oauth2/protected",
        authentication=_oauth2(fake_http_services, secret, "client_secret_basic"),
    )
    assert await _call(exchange, call) == {"authenticated": True}
    assert "client_secret" not in fake_http_services.state.token_requests[0]


async def test_oauth2_rejected_client_is_an_authentication_error(
    exchange: HttpExchange, fake_http_services: FakeHttpServices
) -> None:
    details = await expect_problem(
        _call(
            exchange,
            HttpCallInput(
                method="get",
                uri=f"{fake_http_services.httpbin_url}/oauth2/protected",
                authentication=_oauth2(fake_http_services, "wrong", "client_secret_post"),
            ),
        ),
        "authentication",
        401,
    )
    assert "oauth2/token" in details["detail"]


async def test_slow_server_is_a_timeout_error(
    exchange: HttpExchange, fake_http_services: FakeHttpServices
) -> None:
    await expect_problem(
        _call(
            exchange,
            HttpCallInput(
                method="get",
                uri=f"{fake_http_services.httpbin_url}/delay/2",
                timeout_seconds=0.3,
            ),
        ),
        "timeout",
        408,
    )


async def test_unreachable_server_is_a_communication_error(exchange: HttpExchange) -> None:
    # Port 9 (discard) on loopback: nothing listens there in the test environment.
    await expect_problem(
        _call(exchange, HttpCallInput(method="get", uri="http://127.0.0.1:9/nothing")),
        "communication",
        503,
    )


async def test_bad_inputs_are_configuration_errors_naming_the_field(
    exchange: HttpExchange, fake_http_services: FakeHttpServices
) -> None:
    uri = f"{fake_http_services.httpbin_url}/get"
    details = await expect_problem(
        _call(exchange, HttpCallInput(method="get", uri=uri, output="xml")), "configuration", 400
    )
    assert "'output'" in details["detail"]
    details = await expect_problem(
        _call(exchange, HttpCallInput(method="get", uri="ftp://example.com/x")),
        "configuration",
    )
    assert "'endpoint'" in details["detail"]
    details = await expect_problem(
        _call(exchange, HttpCallInput(method="g et", uri=uri)), "configuration"
    )
    assert "'method'" in details["detail"]


async def test_client_is_shared_not_closed(http_client: httpx.AsyncClient) -> None:
    # The activity class must not own the client's lifetime.
    assert not http_client.is_closed


async def test_oidc_discovers_the_token_endpoint(
    exchange: HttpExchange, fake_http_services: FakeHttpServices
) -> None:
    auth = HttpAuthentication(
        scheme="oauth2",
        oauth2=OAuth2Settings(
            discovery_url=f"{fake_http_services.httpbin_url}/oidc/.well-known/openid-configuration",
            client_id="workflow-runtime-id",
            client_secret=OAUTH2_CLIENTS["workflow-runtime-id"],
        ),
    )
    call = HttpCallInput(
        method="get",
        uri=f"{fake_http_services.httpbin_url}/oauth2/protected",
        authentication=auth,
    )
    assert await _call(exchange, call) == {"authenticated": True}
    assert len(fake_http_services.state.issued_tokens) == 1


async def test_oversized_response_is_a_clear_runtime_error(
    http_client: httpx.AsyncClient, fake_http_services: FakeHttpServices
) -> None:
    exchange = HttpExchange(http_client, max_response_bytes=1000)
    details = await expect_problem(
        _call(
            exchange,
            HttpCallInput(method="get", uri=f"{fake_http_services.httpbin_url}/bytes/1001"),
        ),
        "runtime",
        500,
    )
    assert "1001 bytes" in details["detail"]
    small = await _call(
        exchange,
        HttpCallInput(
            method="get", uri=f"{fake_http_services.httpbin_url}/bytes/1000", output="raw"
        ),
    )
    assert isinstance(small, str)
