"""The call-grpc activity against a real gRPC server on loopback."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from temporalio.testing import ActivityEnvironment
from tests.support.fake_http_services import FakeHttpServices
from tests.support.greeter_server import GREETER_PROTO, start_greeter_server
from tests.support.problem_assertions import expect_problem
from workflow_runner.activities.grpc_call import GrpcActivities
from workflow_runner.activities.grpc_models import GrpcCallInput
from workflow_runner.activities.http_auth import HttpAuthenticator
from workflow_runner.activities.http_exchange import HttpExchange
from workflow_runner.activities.http_models import HttpAuthentication
from workflow_runner.activities.resource_fetch import ResourceFetcher

SERVICE = "greetapi.v1.Greeter"


@pytest.fixture(scope="module")
async def greeter_port(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[int]:
    server, port = await start_greeter_server(tmp_path_factory.mktemp("greeter_gen"))
    yield port
    await server.stop(None)


@pytest.fixture
def grpc_activities(exchange: HttpExchange, http_client: httpx.AsyncClient) -> GrpcActivities:
    return GrpcActivities(ResourceFetcher(exchange), HttpAuthenticator(http_client), 10.0)


def _call(port: int, method: str, arguments: dict[str, object], **kw: object) -> GrpcCallInput:
    return GrpcCallInput(
        proto_uri=GREETER_PROTO.as_uri(),
        service_name=SERVICE,
        host="127.0.0.1",
        port=port,
        method=method,
        arguments=arguments,
        **kw,  # type: ignore[arg-type]
    )


async def _run(activities: GrpcActivities, call: GrpcCallInput) -> object:
    return (await ActivityEnvironment().run(activities.call_grpc, call)).value


async def test_unary_call_with_imports_enums_and_well_known_types(
    grpc_activities: GrpcActivities, greeter_port: int
) -> None:
    value = await _run(
        grpc_activities,
        _call(
            greeter_port,
            "SayHello",
            {
                "name": "Ada",
                "times": 2,
                "mood": "MOOD_HAPPY",
                "sent_at": "2024-01-01T00:00:00Z",
            },
        ),
    )
    assert value == {
        "message": "Hello, Ada! (MOOD_HAPPY)",
        "echoes": ["Ada", "Ada"],
        "name_length": 3,
    }


async def test_defaults_are_in_the_output(
    grpc_activities: GrpcActivities, greeter_port: int
) -> None:
    value = await _run(grpc_activities, _call(greeter_port, "SayHello", {}))
    assert value == {"message": "Hello, !", "echoes": [""], "name_length": 0}


async def test_json_field_names_are_accepted(
    grpc_activities: GrpcActivities, greeter_port: int
) -> None:
    value = await _run(
        grpc_activities, _call(greeter_port, "SayHello", {"name": "Bo", "sentAt": None})
    )
    assert isinstance(value, dict) and value["message"] == "Hello, Bo!"


@pytest.mark.parametrize(
    ("code", "error_type", "status"),
    [
        ("NOT_FOUND", "communication", 404),
        ("UNAVAILABLE", "communication", 503),
        ("PERMISSION_DENIED", "communication", 403),
        ("INTERNAL", "communication", 500),
    ],
)
async def test_status_codes_map_to_problem_statuses(
    grpc_activities: GrpcActivities, greeter_port: int, code: str, error_type: str, status: int
) -> None:
    details = await expect_problem(
        _run(grpc_activities, _call(greeter_port, "Fail", {"code": code, "detail": "nope"})),
        error_type,
        status,
    )
    assert "nope" in details["detail"] and "greetapi.v1.Greeter/Fail" in details["detail"]


async def test_bearer_authentication_is_sent_as_metadata(
    grpc_activities: GrpcActivities, greeter_port: int
) -> None:
    value = await _run(
        grpc_activities,
        _call(
            greeter_port,
            "WhoAmI",
            {},
            authentication=HttpAuthentication(scheme="bearer", token="tok"),
        ),
    )
    assert value == {"message": "Bearer tok", "echoes": [], "name_length": 0}


async def test_proto_served_over_http(
    grpc_activities: GrpcActivities,
    greeter_port: int,
    fake_http_services: FakeHttpServices,
    tmp_path: Path,
) -> None:
    # Self-contained proto (no local imports) fetched through the fake server.
    proto = (
        "syntax='proto3'; package p; service S { rpc M(R) returns (R); } message R {string s=1;}"
    )
    encoded = base64.urlsafe_b64encode(proto.encode()).decode()
    uri = f"{fake_http_services.httpbin_url}/base64/{encoded}"
    details = await expect_problem(
        _run(
            grpc_activities,
            GrpcCallInput(
                proto_uri=uri,
                service_name="p.S",
                host="127.0.0.1",
                port=greeter_port,
                method="M",
                arguments={"s": "x"},
            ),
        ),
        "communication",
        501,  # the greeter server does not implement p.S: UNIMPLEMENTED
    )
    assert "/p.S/M" in details["detail"]


async def test_configuration_errors_name_the_field(
    grpc_activities: GrpcActivities, greeter_port: int, tmp_path: Path
) -> None:
    details = await expect_problem(
        _run(grpc_activities, _call(greeter_port, "SayGoodbye", {})), "configuration", 400
    )
    assert "'method'" in details["detail"] and "SayHello" in details["detail"]
    details = await expect_problem(
        _run(grpc_activities, _call(greeter_port, "Stream", {})), "configuration"
    )
    assert "streaming" in details["detail"]
    wrong_service = _call(greeter_port, "SayHello", {})
    details = await expect_problem(
        _run(
            grpc_activities,
            GrpcCallInput(
                proto_uri=wrong_service.proto_uri,
                service_name="Greeter",
                host="127.0.0.1",
                port=greeter_port,
                method="SayHello",
            ),
        ),
        "configuration",
    )
    assert "'service.name'" in details["detail"]
    details = await expect_problem(
        _run(grpc_activities, _call(greeter_port, "SayHello", {"nmae": "typo"})), "validation"
    )
    assert "'arguments'" in details["detail"] and "nmae" in details["detail"]
    broken = tmp_path / "broken.proto"
    broken.write_text("syntax = 'proto3'; message {")
    details = await expect_problem(
        _run(
            grpc_activities,
            GrpcCallInput(
                proto_uri=broken.as_uri(),
                service_name="x.Y",
                host="127.0.0.1",
                port=greeter_port,
                method="M",
            ),
        ),
        "configuration",
    )
    assert "'proto'" in details["detail"]


async def test_unreachable_server_is_unavailable(grpc_activities: GrpcActivities) -> None:
    await expect_problem(
        _run(grpc_activities, _call(9, "SayHello", {"name": "x"}, timeout_seconds=3.0)),
        "communication",
        503,
    )
