"""`call: http` tasks through the engine on a dev server, against the fake services."""

from __future__ import annotations

from tests.support.engine_runner import EngineRunner
from tests.support.fake_http_services import FakeHttpServices, rewrite_urls


def _doc(name: str, tasks: str, use: str = "") -> str:
    header = f"document:\n  dsl: '1.0.3'\n  namespace: test\n  name: {name}\n  version: '1.0.0'\n"
    return header + use + "do:\n" + tasks


async def test_content_output_with_uri_template_query_and_output_filter(
    engine: EngineRunner, fake_http_services: FakeHttpServices
) -> None:
    definition = _doc(
        "content",
        """
  - findPet:
      call: http
      with:
        method: get
        endpoint:
          uri: https://petstore.swagger.io/v2/pet/findByStatus?status={status}
      output:
        as: .[0]
""",
    )
    output = await engine.run(
        rewrite_urls(definition, fake_http_services.base_url), {"status": "available"}
    )
    assert output == {
        "id": 1,
        "name": "doggie",
        "status": "available",
        "photoUrls": [],
        "tags": [],
    }


async def test_response_output_and_endpoint_expression(
    engine: EngineRunner, fake_http_services: FakeHttpServices
) -> None:
    definition = _doc(
        "response",
        """
  - getPet:
      call: http
      with:
        method: get
        headers:
          X-Pet: ${ .petId | tostring }
        endpoint: ${ "https://petstore.swagger.io/v2/pet/\\(.petId)" }
        output: response
""",
    )
    output = await engine.run(rewrite_urls(definition, fake_http_services.base_url), {"petId": 2})
    assert output["statusCode"] == 200
    assert output["request"]["method"] == "get"
    assert output["request"]["uri"].endswith("/petstore/v2/pet/2")
    assert output["request"]["headers"]["x-pet"] == "2"
    assert output["content"]["name"] == "milou"


async def test_post_body_from_expressions_then_chain_outputs(
    engine: EngineRunner, fake_http_services: FakeHttpServices
) -> None:
    definition = _doc(
        "post-chain",
        """
  - addPet:
      call: http
      with:
        method: post
        endpoint: https://petstore.swagger.io/v2/pet
        body:
          name: ${ .name }
          status: pending
  - getIt:
      call: http
      with:
        method: get
        endpoint: https://petstore.swagger.io/v2/pet/{id}
      output:
        as: '{ created: .name, id: .id }'
""",
    )
    output = await engine.run(
        rewrite_urls(definition, fake_http_services.base_url), {"name": "rex"}
    )
    assert output == {"created": "rex", "id": 5}


async def test_basic_authentication_from_input(
    engine: EngineRunner, fake_http_services: FakeHttpServices
) -> None:
    definition = _doc(
        "basic",
        """
  - login:
      call: http
      with:
        method: get
        endpoint:
          uri: https://httpbin.org/basic-auth/{username}/{password}
          authentication:
            basic:
              username: ${ .username }
              password: ${ .password }
""",
    )
    output = await engine.run(
        rewrite_urls(definition, fake_http_services.base_url),
        {"username": "serverless-workflow", "password": "conformance-test"},
    )
    assert output == {"authenticated": True, "user": "serverless-workflow"}


async def test_reusable_bearer_authentication_and_authorization_argument(
    engine: EngineRunner, fake_http_services: FakeHttpServices
) -> None:
    definition = _doc(
        "bearer",
        """
  - call:
      call: http
      with:
        method: get
        endpoint:
          uri: https://httpbin.org/bearer
          authentication:
            use: apiAuth
""",
        use="use:\n  authentications:\n    apiAuth:\n      bearer:\n        token: ${ .token }\n",
    )
    output = await engine.run(
        rewrite_urls(definition, fake_http_services.base_url), {"token": "abc"}
    )
    assert output == {"authenticated": True, "token": "abc"}


async def test_oauth2_client_credentials_from_a_secret(
    engine: EngineRunner, fake_http_services: FakeHttpServices
) -> None:
    definition = _doc(
        "oauth2",
        """
  - call:
      call: http
      with:
        method: get
        endpoint:
          uri: https://httpbin.org/oauth2/protected
          authentication:
            oauth2:
              use: idp
""",
        use="use:\n  secrets:\n    - idp\n",
    )
    secrets = {
        "idp": {
            "authority": f"{fake_http_services.httpbin_url}",
            "grant": "client_credentials",
            "client": {"id": "workflow-runtime-id", "secret": "workflow-runtime-secret"},
            "scopes": ["api"],
        }
    }
    output = await engine.run(
        rewrite_urls(definition, fake_http_services.base_url), {}, secrets=secrets
    )
    assert output == {"authenticated": True}
    assert fake_http_services.state.token_requests[0]["scope"] == "api"


async def test_missing_secret_is_an_authorization_error(
    engine: EngineRunner, fake_http_services: FakeHttpServices
) -> None:
    definition = _doc(
        "no-secret",
        """
  - call:
      call: http
      with:
        method: get
        endpoint:
          uri: https://httpbin.org/get
          authentication:
            basic:
              use: missing
""",
    )
    problem = await engine.fault(rewrite_urls(definition, fake_http_services.base_url), {})
    assert problem["status"] == 403
    assert problem["type"].endswith("/authorization")
    assert problem["instance"] == "/do/0/call"


async def test_caught_404_has_communication_type_status_and_instance(
    engine: EngineRunner, fake_http_services: FakeHttpServices
) -> None:
    definition = _doc(
        "try-404",
        """
  - tryGetPet:
      try:
        - getPet:
            call: http
            with:
              method: get
              endpoint:
                uri: https://petstore.swagger.io/v2/pet/getPetByName/{petName}
      catch:
        errors:
          with:
            type: https://serverlessworkflow.io/dsl/errors/types/communication
            status: 404
        as: err
        do:
          - setError:
              set:
                error: ${ $err }
""",
    )
    output = await engine.run(
        rewrite_urls(definition, fake_http_services.base_url), {"petName": "Milou"}
    )
    error = output["error"]
    assert error["status"] == 404
    assert error["type"] == "https://serverlessworkflow.io/spec/1.0.0/errors/communication"
    assert error["title"]
    assert error["instance"] == "/do/0/tryGetPet/try/0/getPet"


async def test_uncaught_error_faults_the_workflow_with_the_real_status(
    engine: EngineRunner, fake_http_services: FakeHttpServices
) -> None:
    definition = _doc(
        "fault-503",
        """
  - down:
      call: http
      with:
        method: get
        endpoint: https://httpbin.org/status/503
""",
    )
    problem = await engine.fault(rewrite_urls(definition, fake_http_services.base_url))
    assert problem["status"] == 503
    assert problem["instance"] == "/do/0/down"


async def test_redirect_flag(engine: EngineRunner, fake_http_services: FakeHttpServices) -> None:
    template = _doc(
        "redirect",
        """
  - go:
      call: http
      with:
        method: get
        endpoint: https://httpbin.org/redirect-to?url=/httpbin/anything/there
        redirect: REDIRECT
      output:
        as: .url
""",
    )
    followed = rewrite_urls(template.replace("REDIRECT", "true"), fake_http_services.base_url)
    assert (await engine.run(followed)).endswith("/httpbin/anything/there")
    refused = rewrite_urls(template.replace("REDIRECT", "false"), fake_http_services.base_url)
    assert (await engine.fault(refused))["status"] == 302


async def test_uri_template_with_an_object_is_an_expression_error(
    engine: EngineRunner, fake_http_services: FakeHttpServices
) -> None:
    definition = _doc(
        "bad-template",
        """
  - getPet:
      call: http
      with:
        method: get
        endpoint: https://petstore.swagger.io/v2/pet/{pet}
""",
    )
    problem = await engine.fault(
        rewrite_urls(definition, fake_http_services.base_url), {"pet": {"id": 1}}
    )
    assert problem["type"].endswith("/expression") and problem["status"] == 400
    assert "{pet}" in problem["detail"]


async def test_bearer_token_from_secrets_expression(
    engine: EngineRunner, fake_http_services: FakeHttpServices
) -> None:
    definition = _doc(
        "secret-expression",
        """
  - call:
      call: http
      with:
        method: get
        endpoint:
          uri: https://httpbin.org/bearer
          authentication:
            bearer:
              token: ${ $secrets.api.token }
""",
        use="use:\n  secrets:\n    - api\n",
    )
    output = await engine.run(
        rewrite_urls(definition, fake_http_services.base_url),
        {},
        secrets={"api": {"token": "from-secret"}},
    )
    assert output == {"authenticated": True, "token": "from-secret"}
