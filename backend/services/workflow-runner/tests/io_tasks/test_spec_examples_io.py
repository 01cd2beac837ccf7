"""The spec examples that call HTTP/OpenAPI or run processes, run through the engine.

Read in place from the shared spec folder; public URLs are pointed at the fake
services (petstore, httpbin, swapi; the examples' keycloak authority at the fake
OAuth2/OIDC authority). Examples needing what this runner cannot reach are
listed in ``NOT_RUN`` with the reason, and a test checks that list stays honest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from stigmer_testing.reference_data import spec_dir
from tests.support.engine_runner import EngineRunner
from tests.support.fake_http_services import FakeHttpServices, rewrite_urls
from tests.support.greeter_server import PROTO_DIR, start_spec_greeter_server

KEYCLOAK = "http://keycloak/realms/fake-authority"
CLIENT = {"id": "workflow-runtime-id", "secret": "workflow-runtime-secret"}


def _pet(name: str) -> Callable[[Any, FakeHttpServices], None]:
    def check(output: Any, fake: FakeHttpServices) -> None:
        assert isinstance(output, dict) and output["name"] == name, output

    return check


def _pet_with_token(output: Any, fake: FakeHttpServices) -> None:
    assert output["name"] == "doggie"
    assert len(fake.state.issued_tokens) == 1


def _equals(expected: Any) -> Callable[[Any, FakeHttpServices], None]:
    def check(output: Any, fake: FakeHttpServices) -> None:
        assert output == expected

    return check


def _search_count(count: int) -> Callable[[Any, FakeHttpServices], None]:
    def check(output: Any, fake: FakeHttpServices) -> None:
        assert output["count"] == count, output

    return check


def _available_pets(output: Any, fake: FakeHttpServices) -> None:
    assert [pet["name"] for pet in output] == ["doggie", "milou"]


def _sold(output: Any, fake: FakeHttpServices) -> None:
    assert output["status"] == "sold"
    assert fake.state.pets[1]["status"] == "sold"


def _completed(output: Any, fake: FakeHttpServices) -> None:
    """The example only has to complete (its output is another module's concern)."""


@dataclass(frozen=True)
class Example:
    file: str
    input: Any
    check: Callable[[Any, FakeHttpServices], None]
    secrets: Callable[[FakeHttpServices], dict[str, Any]] = field(default=lambda fake: {})


RUN: tuple[Example, ...] = (
    Example("do-single.yaml", {"petId": 2}, _pet("milou")),
    Example("do-multiple.yaml", {"petId": 1}, _sold),
    Example("call-http-endpoint-interpolation.yaml", {"petId": 1}, _pet("doggie")),
    Example("call-http-endpoint-interpolation-shorthand.yaml", {"petId": 2}, _pet("milou")),
    Example("call-http-query-parameters.yaml", {"searchQuery": "luke"}, _search_count(1)),
    Example("call-http-query-headers-expressions.yaml", {"searchQuery": "lei"}, _search_count(1)),
    Example("call-http-redirect.yaml", {"searchQuery": "l"}, _search_count(2)),
    Example("star-wars-homeworld.yaml", {"id": 1}, _equals({"name": "Tatooine"})),
    Example("call-openapi.yaml", {}, _available_pets),
    Example("call-openapi-redirect.yaml", {}, _available_pets),
    Example("authentication-bearer.yaml", {"petId": 1, "token": "t0k"}, _pet("doggie")),
    Example("authentication-bearer-uri-format.yaml", {"petId": 2, "token": "t"}, _pet("milou")),
    Example("authentication-reusable.yaml", {"petId": 1, "token": "t0k"}, _pet("doggie")),
    Example("authentication-oauth2.yaml", {"petId": 1}, _pet_with_token),
    Example("authentication-oidc.yaml", {"petId": 1}, _pet_with_token),
    Example(
        "authentication-oauth2-secret.yaml",
        {"petId": 1},
        _pet_with_token,
        lambda fake: {
            "mySecret": {
                "authority": fake.httpbin_url,
                "grant": "client_credentials",
                "client": CLIENT,
            }
        },
    ),
    Example(
        "authentication-oidc-secret.yaml",
        {"petId": 1},
        _pet_with_token,
        lambda fake: {
            "mySecret": {
                "authority": f"{fake.httpbin_url}/oidc",
                "grant": "client_credentials",
                "client": CLIENT,
            }
        },
    ),
    Example("try-catch.yaml", {"petId": 1}, _pet("doggie")),
    Example("try-catch.yaml", {"petId": 404}, _completed),
    Example(
        "run-shell-stdin-and-arguments.yaml",
        {},
        _equals("STDIN was: Hello World\nARGS are Foo Bar\n"),
    ),
    Example(
        "run-script-with-stdin-and-arguments.yaml",
        {},
        _equals("stdin >  Hello Workflow\narg >  hello\nenv >  bar\n"),
    ),
)

CONTAINER = (
    "run-container.yaml",
    "run-container-cleanup-always.yaml",
    "run-container-cleanup-eventually.yaml",
    "run-container-stdin-and-arguments.yaml",
    "run-container-with-name.yaml",
    "run-container-with-pull-policy.yaml",
    "run-return-all.yaml",
    "run-return-code.yaml",
    "run-return-none.yaml",
    "run-return-stderr.yaml",
)

NOT_RUN = {
    "conditional-task.yaml": "posts to an invented betting site",
    "fork.yaml": "alerts an invented hospital API",
    "accumulate-room-readings.yaml": "listens for events and calls an invented OpenAPI document",
    "mock-service-extension.yaml": "extensions are the core engine's concern",
    "call-custom-function-inline.yaml": "custom functions are the catalog's concern",
    "call-custom-function-cataloged.yaml": "custom functions are the catalog's concern",
    "listen-to-one.yaml": "waits for events (the events module's tests)",
    "listen-to-any-forever-foreach.yaml": "waits for events forever (the events module's tests)",
    "schedule-cron.yaml": "scheduling is outside the engine",
    "schedule-event-driven.yaml": "scheduling is outside the engine",
    "try-catch-then.yaml": "emits an event; run by the core engine's example tests",
    "try-catch-retry-inline.yaml": "retry timing is the core engine's concern",
    "try-catch-retry-reusable.yaml": "retry timing is the core engine's concern",
}


IO_MARKERS = ("call: http", "call: openapi", "call: grpc", "shell:", "script:", "container:")


def _definition(name: str, fake: FakeHttpServices) -> str:
    text = (spec_dir() / "examples" / name).read_text()
    text = text.replace(f"{KEYCLOAK}/.well-known/openid-configuration", f"{fake.httpbin_url}/oidc")
    if "oidc" in name:
        text = text.replace(KEYCLOAK, f"{fake.httpbin_url}/oidc")
    text = text.replace(KEYCLOAK, fake.httpbin_url)
    return rewrite_urls(text, fake.base_url)


@pytest.mark.parametrize("example", RUN, ids=lambda e: f"{e.file}-{e.input}")
async def test_example_runs(
    engine: EngineRunner, fake_http_services: FakeHttpServices, example: Example
) -> None:
    output = await engine.run(
        _definition(example.file, fake_http_services),
        example.input,
        secrets=example.secrets(fake_http_services),
    )
    example.check(output, fake_http_services)


@pytest.mark.parametrize("name", CONTAINER)
async def test_container_example_faults_clearly(
    engine: EngineRunner, fake_http_services: FakeHttpServices, name: str
) -> None:
    problem = await engine.fault(_definition(name, fake_http_services), {})
    assert problem["type"].endswith("/configuration")
    assert "container runs are not supported here" in problem["detail"]


async def test_grpc_example_against_its_greeter_service(
    engine: EngineRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `file://app/greet.proto` is relative to the worker's working directory.
    server, port = await start_spec_greeter_server(tmp_path)
    monkeypatch.chdir(PROTO_DIR)
    try:
        text = (spec_dir() / "examples" / "call-grpc.yaml").read_text()
        assert "port: 5011" in text
        output = await engine.run(
            text.replace("port: 5011", f"port: {port}"),
            {"user": {"preferredDisplayName": "Ada"}},
        )
    finally:
        await server.stop(None)
    assert output == {"message": "Hello, Ada"}


def test_every_io_example_is_run_or_explained() -> None:
    examples = spec_dir() / "examples"
    io_files = {
        path.name
        for path in examples.glob("*.yaml")
        if any(marker in path.read_text() for marker in IO_MARKERS)
    }
    covered = {e.file for e in RUN} | set(CONTAINER) | set(NOT_RUN) | {"call-grpc.yaml"}
    assert io_files <= covered, f"examples neither run nor explained: {sorted(io_files - covered)}"
    assert not (set(NOT_RUN) - io_files), "NOT_RUN names files that are no I/O examples"
    assert Path(examples).is_dir()
