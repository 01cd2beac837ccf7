"""Inputs and outputs of the HTTP-based activities (``call: http`` and ``call: openapi``).

Every value here is already resolved by the engine (expressions evaluated, URI
templates expanded, authentication policies looked up by name and their secrets
substituted): activities never evaluate expressions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

OutputMode = Literal["content", "response", "raw"]
OUTPUT_MODES: tuple[str, ...] = ("content", "response", "raw")


@dataclass(frozen=True)
class OAuth2Settings:
    """A resolved OAuth2 policy: enough to request a token from the authority.

    Attributes:
        token_url: Absolute token endpoint (authority + ``endpoints.token``);
            empty when ``discovery_url`` is set.
        discovery_url: OpenID Connect discovery document
            (``.well-known/openid-configuration``) naming the token endpoint.
        grant: ``client_credentials`` or ``password``.
        client_id: The client id, if the client authenticates.
        client_secret: The client secret, if any.
        client_authentication: ``client_secret_post`` (spec default),
            ``client_secret_basic`` or ``none``.
        encoding: ``application/x-www-form-urlencoded`` (default) or
            ``application/json``.
        scopes: Scopes to request.
        audiences: Audiences to request.
        username: Resource owner name for the ``password`` grant.
        password: Resource owner password for the ``password`` grant.
    """

    token_url: str = ""
    discovery_url: str = ""
    grant: str = "client_credentials"
    client_id: str | None = None
    client_secret: str | None = None
    client_authentication: str = "client_secret_post"
    encoding: str = "application/x-www-form-urlencoded"
    scopes: list[str] = field(default_factory=list)
    audiences: list[str] = field(default_factory=list)
    username: str | None = None
    password: str | None = None


@dataclass(frozen=True)
class HttpAuthentication:
    """A resolved authentication policy.

    Attributes:
        scheme: ``basic``, ``bearer``, ``digest`` or ``oauth2`` (``oidc`` is
            accepted by the engine and sent here as ``oauth2``).
        username: For ``basic`` and ``digest``.
        password: For ``basic`` and ``digest``.
        token: For ``bearer``.
        oauth2: For ``oauth2``.
    """

    scheme: str
    username: str | None = None
    password: str | None = None
    token: str | None = None
    oauth2: OAuth2Settings | None = None


@dataclass(frozen=True)
class HttpCallInput:
    """One HTTP request to send, and how to shape its response.

    Attributes:
        method: HTTP method, any case.
        uri: Absolute URI, templates already expanded.
        headers: Request headers.
        query: Query parameters; list values repeat the parameter.
        body: JSON-compatible body (sent as JSON unless a content-type header
            says form or text), or ``None``.
        output: ``content``, ``response`` or ``raw``.
        redirect: ``False``: only 2xx succeeds and redirects are not followed;
            ``True``: redirects are followed and 2xx/3xx succeed.
        authentication: The policy to apply, if any.
        timeout_seconds: Network timeout of the request; ``None`` uses the
            activity class default.
    """

    method: str
    uri: str
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    output: str = "content"
    redirect: bool = False
    authentication: HttpAuthentication | None = None
    timeout_seconds: float | None = None


@dataclass(frozen=True)
class HttpCallOutput:
    """The task's raw output, already shaped by the ``output`` mode.

    Attributes:
        value: The deserialized content (``content``), the HTTP response object
            ``{request, statusCode, headers, content}`` (``response``) or the
            base64 content (``raw``).
    """

    value: Any


@dataclass(frozen=True)
class OpenApiCallInput:
    """One OpenAPI operation call.

    Attributes:
        document_uri: Where to fetch the OpenAPI (3.x) or Swagger (2.0) document.
        operation_id: The ``operationId`` to call.
        parameters: Name/value pairs matched to the operation's parameters
            (path, query, header, cookie, body/formData); for an OpenAPI 3
            ``requestBody``, the ``body`` parameter (or else the unmatched ones).
        output: ``content``, ``response`` or ``raw``.
        redirect: Same meaning as for ``call: http``.
        authentication: Policy applied to the operation call.
        document_authentication: Policy applied when fetching the document.
        timeout_seconds: Network timeout of each request.
    """

    document_uri: str
    operation_id: str
    parameters: dict[str, Any] = field(default_factory=dict)
    output: str = "content"
    redirect: bool = False
    authentication: HttpAuthentication | None = None
    document_authentication: HttpAuthentication | None = None
    timeout_seconds: float | None = None
