"""Local stand-ins for petstore.swagger.io and httpbin.org, for tests.

The spec examples and the CTK call the public petstore and httpbin services;
tests must not depend on the internet, so this module serves equivalent
endpoints from a real HTTP server on loopback (stdlib ``http.server`` in a
thread, no extra dependency):

* ``{base}/petstore/v2/...``: ``GET /pet/findByStatus``, ``GET|DELETE /pet/{id}``,
  ``POST|PUT /pet``, ``GET /store/inventory`` and the Swagger 2.0 document
  ``/swagger.json`` (its ``host``/``basePath`` point back at this server).
  ``{base}/petstore/api/v3/openapi.json`` is an OpenAPI 3 document for the same
  operations (with a relative server URL).
* ``{base}/httpbin/...``: ``/anything``, ``/get``, ``/post``, ``/status/{code}``,
  ``/basic-auth/{user}/{password}``, ``/digest-auth/auth/{user}/{password}``,
  ``/bearer``, ``/headers``, ``/redirect-to``, ``/json``, ``/html``,
  ``/bytes/{n}``, ``/base64/{value}``, ``/delay/{seconds}``, plus an OAuth2 authority
  (``/oauth2/token`` for client credentials, ``/oauth2/protected``) and an
  OpenID Connect discovery document at ``/oidc/.well-known/openid-configuration``.
* ``{base}/swapi/api/...``: ``people/`` (``?search=``), ``people/{id}/`` and
  ``planets/{id}/`` of the Star Wars API used by the spec examples.

For the CTK harness (E1's bindings) call :func:`rewrite_urls` on a definition's
text to point its petstore/httpbin URLs at the local server, e.g.::

    definition = rewrite_urls(definition, fake_http_services.base_url)

Use the ``fake_http_services`` fixture: import both ``fake_http_server`` (the
session-wide server) and ``fake_http_services`` (per test, state reset) into a
``conftest.py``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

import pytest

PETSTORE_PUBLIC: Final = ("https://petstore.swagger.io", "http://petstore.swagger.io")
HTTPBIN_PUBLIC: Final = ("https://httpbin.org", "http://httpbin.org")
SWAPI_PUBLIC: Final = ("https://swapi.dev", "http://swapi.dev")

OAUTH2_CLIENTS: Final = {"workflow-runtime-id": "workflow-runtime-secret"}
DIGEST_REALM: Final = "stigmer-fake-httpbin"

_INITIAL_PETS: Final = (
    {"id": 1, "name": "doggie", "status": "available", "photoUrls": [], "tags": []},
    {"id": 2, "name": "milou", "status": "available", "photoUrls": [], "tags": []},
    {"id": 3, "name": "garfield", "status": "pending", "photoUrls": [], "tags": []},
    {"id": 4, "name": "felix", "status": "sold", "photoUrls": [], "tags": []},
)


def rewrite_urls(definition_text: str, base_url: str) -> str:
    """Point a workflow definition's petstore/httpbin URLs at the local server.

    For the CTK harness only: the feature files are read in place and never
    edited, so the harness rewrites the definition text before running it.

    Args:
        definition_text: The workflow definition (YAML or JSON text).
        base_url: ``FakeHttpServices.base_url`` (``http://127.0.0.1:<port>``).

    Returns:
        The text with ``https://petstore.swagger.io`` replaced by
        ``{base_url}/petstore``, ``https://httpbin.org`` by ``{base_url}/httpbin``
        and ``https://swapi.dev`` by ``{base_url}/swapi`` (``http://`` variants too).
    """
    text = definition_text
    for public in PETSTORE_PUBLIC:
        text = text.replace(public, f"{base_url}/petstore")
    for public in HTTPBIN_PUBLIC:
        text = text.replace(public, f"{base_url}/httpbin")
    for public in SWAPI_PUBLIC:
        text = text.replace(public, f"{base_url}/swapi")
    return text


@dataclass
class FakeState:
    """What the server remembers; tests read it to check side effects.

    Attributes:
        pets: The pet store, by id.
        issued_tokens: OAuth2 access tokens handed out, in order.
        token_requests: Every token request's parameters (after client auth).
        requests: ``(method, path)`` of every request served.
    """

    pets: dict[int, dict[str, Any]] = field(default_factory=dict)
    issued_tokens: list[str] = field(default_factory=list)
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.pets = {int(str(pet["id"])): json.loads(json.dumps(pet)) for pet in _INITIAL_PETS}
            self.issued_tokens.clear()
            self.token_requests.clear()
            self.requests.clear()


@dataclass(frozen=True)
class _Reply:
    status: int
    body: bytes = b""
    content_type: str | None = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


def _json(status: int, value: Any, *headers: tuple[str, str]) -> _Reply:
    return _Reply(status, json.dumps(value).encode(), "application/json", headers)


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def _parse_digest(header: str) -> dict[str, str]:
    return {
        key: value.strip('"')
        for key, value in re.findall(r'(\w+)=("[^"]*"|[^,\s]+)', header.removeprefix("Digest "))
    }


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # Small header and body writes would otherwise meet Nagle + delayed ACK (~40 ms).
    disable_nagle_algorithm = True
    wbufsize = -1

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging (pytest captures stderr anyway)."""

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        state = self.server.state
        with state.lock:
            state.requests.append((self.command, parts.path))
        try:
            if parts.path.startswith("/petstore/"):
                reply = self._petstore(parts.path.removeprefix("/petstore"), parts.query, body)
            elif parts.path.startswith("/swapi/"):
                reply = self._swapi(parts.path.removeprefix("/swapi"), parts.query)
            elif parts.path.startswith("/httpbin/"):
                reply = self._httpbin(parts.path.removeprefix("/httpbin"), parts.query, body)
            else:
                reply = _json(404, {"error": f"no route for {parts.path}"})
        except (ValueError, KeyError) as exc:
            reply = _json(400, {"error": f"bad request: {exc}"})
        self._send(reply)

    def _send(self, reply: _Reply) -> None:
        self.send_response(reply.status)
        if reply.content_type is not None:
            self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    # ----------------------------------------------------------------- petstore

    def _petstore(self, path: str, query: str, body: bytes) -> _Reply:
        state = self.server.state
        if path == "/v2/swagger.json" and self.command == "GET":
            return _json(200, swagger_document(self.server.host_port))
        if path == "/api/v3/openapi.json" and self.command == "GET":
            return _json(200, openapi3_document())
        if path == "/v2/pet/findByStatus" and self.command == "GET":
            wanted: list[str] = []
            for value in parse_qs(query).get("status", []):
                wanted.extend(v.strip() for v in value.split(","))
            with state.lock:
                found = [p for p in state.pets.values() if p.get("status") in wanted]
            return _json(200, found)
        # The real service also answers on `/v2/pet/`, which the spec examples reach
        # when their `{petId}` template variable is absent.
        if path in ("/v2/pet", "/v2/pet/") and self.command in ("POST", "PUT"):
            pet = json.loads(body or b"null")
            if not isinstance(pet, dict):
                return _json(405, {"code": 405, "type": "unknown", "message": "Invalid input"})
            with state.lock:
                if self.command == "PUT" and pet.get("id") not in state.pets:
                    return _json(404, {"code": 404, "type": "error", "message": "Pet not found"})
                if "id" not in pet:
                    pet["id"] = max(state.pets, default=0) + 1
                state.pets[int(pet["id"])] = pet
            return _json(200, pet)
        if path == "/v2/store/inventory" and self.command == "GET":
            counts: dict[str, int] = {}
            with state.lock:
                for pet in state.pets.values():
                    counts[pet["status"]] = counts.get(pet["status"], 0) + 1
            return _json(200, counts)
        match = re.fullmatch(r"/v2/pet/(\d+)", path)
        if match and self.command == "PUT":
            # Not in the real petstore (it answers 405); the spec examples `buyPet` use it.
            update = json.loads(body or b"{}")
            with state.lock:
                current = state.pets.get(int(match.group(1)))
                if current is not None and isinstance(update, dict):
                    current.update({k: v for k, v in update.items() if k != "id"})
            if current is None:
                return _json(404, {"code": 1, "type": "error", "message": "Pet not found"})
            return _json(200, current)
        if match and self.command in ("GET", "DELETE"):
            pet_id = int(match.group(1))
            with state.lock:
                pet = state.pets.get(pet_id)
                if pet is not None and self.command == "DELETE":
                    del state.pets[pet_id]
            if pet is None:
                return _json(404, {"code": 1, "type": "error", "message": "Pet not found"})
            return _json(200, pet)
        return _json(404, {"code": 404, "type": "unknown", "message": "HTTP 404 Not Found"})

    # -------------------------------------------------------------------- swapi

    def _swapi(self, path: str, query: str) -> _Reply:
        base = f"http://{self.server.host_port}/swapi/api"
        people = [
            {
                "name": "Luke Skywalker",
                "homeworld": f"{base}/planets/1/",
                "url": f"{base}/people/1/",
            },
            {"name": "Leia Organa", "homeworld": f"{base}/planets/2/", "url": f"{base}/people/2/"},
        ]
        planets = {1: {"name": "Tatooine"}, 2: {"name": "Alderaan"}}
        if path in ("/api/people", "/api/people/"):
            search = parse_qs(query).get("search", [""])[0].lower()
            found = [p for p in people if search in p["name"].lower()]
            return _json(200, {"count": len(found), "results": found})
        match = re.fullmatch(r"/api/people/(\d+)/?", path)
        if match and 1 <= int(match.group(1)) <= len(people):
            return _json(200, people[int(match.group(1)) - 1])
        match = re.fullmatch(r"/api/planets/(\d+)/?", path)
        if match and int(match.group(1)) in planets:
            return _json(200, planets[int(match.group(1))])
        return _json(404, {"detail": "Not found"})

    # ------------------------------------------------------------------ httpbin

    def _echo(self, path: str, query: str, body: bytes) -> dict[str, Any]:
        parsed: Any = None
        form: dict[str, Any] = {}
        content_type = self.headers.get("Content-Type", "")
        if "json" in content_type and body:
            parsed = json.loads(body)
        elif "x-www-form-urlencoded" in content_type:
            form = {k: v[0] if len(v) == 1 else v for k, v in parse_qs(body.decode()).items()}
        args = {k: v[0] if len(v) == 1 else v for k, v in parse_qs(query).items()}
        return {
            "method": self.command,
            "url": f"http://{self.server.host_port}/httpbin{path}" + (f"?{query}" if query else ""),
            "args": args,
            "headers": dict(self.headers.items()),
            "data": body.decode(errors="replace"),
            "json": parsed,
            "form": form,
        }

    def _httpbin(self, path: str, query: str, body: bytes) -> _Reply:
        if path == "/anything" or path.startswith("/anything/"):
            return _json(200, self._echo(path, query, body))
        if path in ("/get", "/post", "/put", "/delete", "/patch"):
            if self.command.lower() != path[1:]:
                return _json(405, {"error": "method not allowed"})
            return _json(200, self._echo(path, query, body))
        if path == "/headers":
            return _json(200, {"headers": dict(self.headers.items())})
        if path == "/json":
            return _json(200, {"slideshow": {"author": "Yours Truly", "title": "Sample"}})
        if path == "/html":
            return _Reply(200, b"<html><body><h1>Herman Melville</h1></body></html>", "text/html")
        match = re.fullmatch(r"/status/(\d{3})", path)
        if match:
            status = int(match.group(1))
            headers: tuple[tuple[str, str], ...] = ()
            if 300 <= status < 400:
                headers = (("Location", "/httpbin/get"),)
            return _Reply(status, b"", None, headers)
        match = re.fullmatch(r"/base64/([A-Za-z0-9_=-]+)", path)
        if match:
            decoded = base64.urlsafe_b64decode(match.group(1))
            return _Reply(200, decoded, "text/html; charset=utf-8")
        match = re.fullmatch(r"/bytes/(\d+)", path)
        if match:
            data = bytes(i % 256 for i in range(int(match.group(1))))
            return _Reply(200, data, "application/octet-stream")
        match = re.fullmatch(r"/delay/(\d+(?:\.\d+)?)", path)
        if match:
            time.sleep(min(float(match.group(1)), 10.0))
            return _json(200, self._echo(path, query, body))
        if path == "/redirect-to":
            params = parse_qs(query)
            status = int(params.get("status_code", ["302"])[0])
            return _Reply(status, b"", None, (("Location", params["url"][0]),))
        match = re.fullmatch(r"/basic-auth/([^/]+)/([^/]+)", path)
        if match:
            expected = base64.b64encode(f"{match.group(1)}:{match.group(2)}".encode()).decode()
            if self.headers.get("Authorization") == f"Basic {expected}":
                return _json(200, {"authenticated": True, "user": match.group(1)})
            return _Reply(401, b"", None, (("WWW-Authenticate", 'Basic realm="Fake Realm"'),))
        if path == "/bearer":
            authorization = self.headers.get("Authorization", "")
            if authorization.startswith("Bearer ") and len(authorization) > len("Bearer "):
                return _json(200, {"authenticated": True, "token": authorization[7:]})
            return _Reply(401, b"", None, (("WWW-Authenticate", "Bearer"),))
        match = re.fullmatch(r"/digest-auth/auth/([^/]+)/([^/]+)", path)
        if match:
            return self._digest(match.group(1), match.group(2))
        if path == "/oidc/.well-known/openid-configuration":
            issuer = f"http://{self.server.host_port}/httpbin/oidc"
            return _json(
                200,
                {
                    "issuer": issuer,
                    "token_endpoint": f"http://{self.server.host_port}/httpbin/oauth2/token",
                },
            )
        # `/auth/token` is the token endpoint the spec's oauth2 example declares.
        if path in ("/oauth2/token", "/auth/token") and self.command == "POST":
            return self._token(body)
        if path == "/oauth2/protected":
            authorization = self.headers.get("Authorization", "")
            with self.server.state.lock:
                issued = authorization.removeprefix("Bearer ") in self.server.state.issued_tokens
            if authorization.startswith("Bearer ") and issued:
                return _json(200, {"authenticated": True})
            return _json(401, {"error": "invalid_token"})
        return _json(404, {"error": f"no httpbin route {path}"})

    def _digest(self, user: str, password: str) -> _Reply:
        header = self.headers.get("Authorization", "")
        if header.startswith("Digest "):
            fields = _parse_digest(header)
            ha1 = _md5(f"{user}:{DIGEST_REALM}:{password}")
            ha2 = _md5(f"{self.command}:{fields.get('uri', '')}")
            expected = _md5(
                f"{ha1}:{fields.get('nonce')}:{fields.get('nc')}:{fields.get('cnonce')}:"
                f"{fields.get('qop')}:{ha2}"
            )
            if fields.get("username") == user and fields.get("response") == expected:
                return _json(200, {"authenticated": True, "user": user})
        challenge = (
            f'Digest realm="{DIGEST_REALM}", qop="auth", nonce="{secrets.token_hex(16)}", '
            f'opaque="{secrets.token_hex(16)}", algorithm=MD5'
        )
        return _Reply(401, b"", None, (("WWW-Authenticate", challenge),))

    def _token(self, body: bytes) -> _Reply:
        content_type = self.headers.get("Content-Type", "")
        if "json" in content_type:
            params = {k: str(v) for k, v in json.loads(body or b"{}").items()}
        else:
            params = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        authorization = self.headers.get("Authorization", "")
        if authorization.startswith("Basic "):
            client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
        else:
            client_id, secret = params.get("client_id", ""), params.get("client_secret", "")
        if params.get("grant_type") != "client_credentials":
            return _json(400, {"error": "unsupported_grant_type"})
        if OAUTH2_CLIENTS.get(client_id) != secret:
            return _json(401, {"error": "invalid_client"})
        token = f"fake-token-{secrets.token_hex(8)}"
        with self.server.state.lock:
            self.server.state.issued_tokens.append(token)
            self.server.state.token_requests.append({**params, "client_id": client_id})
        return _json(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: FakeState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state
        self.host_port = f"127.0.0.1:{self.server_address[1]}"


def swagger_document(host_port: str) -> dict[str, Any]:
    """A Swagger 2.0 petstore subset whose host/basePath point at this server."""
    pet_id = {"name": "petId", "in": "path", "required": True, "type": "integer"}
    return {
        "swagger": "2.0",
        "info": {"title": "Fake Petstore", "version": "1.0.7"},
        "host": host_port,
        "basePath": "/petstore/v2",
        "schemes": ["http"],
        "paths": {
            "/pet": {
                "post": {
                    "operationId": "addPet",
                    "consumes": ["application/json"],
                    "parameters": [{"in": "body", "name": "body", "required": True, "schema": {}}],
                },
                "put": {
                    "operationId": "updatePet",
                    "consumes": ["application/json"],
                    "parameters": [{"in": "body", "name": "body", "required": True, "schema": {}}],
                },
            },
            "/pet/findByStatus": {
                "get": {
                    "operationId": "findPetsByStatus",
                    "parameters": [
                        {
                            "name": "status",
                            "in": "query",
                            "required": True,
                            "type": "array",
                            "items": {"type": "string"},
                            "collectionFormat": "multi",
                        }
                    ],
                }
            },
            "/pet/{petId}": {
                "get": {"operationId": "getPetById", "parameters": [pet_id]},
                "delete": {
                    "operationId": "deletePet",
                    "parameters": [
                        {"name": "api_key", "in": "header", "required": False, "type": "string"},
                        pet_id,
                    ],
                },
            },
            "/store/inventory": {"get": {"operationId": "getInventory"}},
        },
    }


def openapi3_document() -> dict[str, Any]:
    """The same operations as OpenAPI 3.0, with a server URL relative to the document."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "Fake Petstore v3", "version": "1.0.0"},
        "servers": [{"url": "/petstore/v2"}],
        "components": {
            "parameters": {
                "PetId": {
                    "name": "petId",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer"},
                }
            }
        },
        "paths": {
            "/pet": {
                "post": {
                    "operationId": "addPet",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                }
            },
            "/pet/findByStatus": {
                "get": {
                    "operationId": "findPetsByStatus",
                    "parameters": [
                        {
                            "name": "status",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                }
            },
            "/pet/{petId}": {
                "parameters": [{"$ref": "#/components/parameters/PetId"}],
                "get": {"operationId": "getPetById"},
            },
        },
    }


@dataclass
class FakeHttpServices:
    """A running fake server.

    Attributes:
        base_url: ``http://127.0.0.1:<port>``.
        state: The server's memory (reset per test by the fixture).
    """

    base_url: str
    state: FakeState

    @property
    def petstore_url(self) -> str:
        """Local equivalent of ``https://petstore.swagger.io``."""
        return f"{self.base_url}/petstore"

    @property
    def httpbin_url(self) -> str:
        """Local equivalent of ``https://httpbin.org``."""
        return f"{self.base_url}/httpbin"


def start_fake_http_services() -> tuple[FakeHttpServices, _Server]:
    """Start the server in a daemon thread; the caller shuts it down."""
    state = FakeState()
    state.reset()
    server = _Server(state)
    thread = threading.Thread(target=server.serve_forever, name="fake-http", daemon=True)
    thread.start()
    return FakeHttpServices(base_url=f"http://{server.host_port}", state=state), server


@pytest.fixture(scope="session")
def fake_http_server() -> Iterator[FakeHttpServices]:
    """One fake server for the whole session (use ``fake_http_services`` in tests)."""
    services, server = start_fake_http_services()
    try:
        yield services
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def fake_http_services(fake_http_server: FakeHttpServices) -> FakeHttpServices:
    """The session's fake server, with its state reset for this test."""
    fake_http_server.state.reset()
    return fake_http_server
