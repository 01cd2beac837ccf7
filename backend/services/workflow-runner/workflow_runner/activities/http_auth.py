"""Applying a resolved authentication policy to an outgoing HTTP request.

``basic`` and ``digest`` use httpx's own auth flows (digest needs the server's
challenge, so it cannot be a static header); ``bearer`` is a header; ``oauth2``
first obtains an access token from the authority's token endpoint (client
credentials or password grant) and then sends it as a bearer token. Tokens are
cached per policy until shortly before they expire, so a loop of calls does not
hit the authority every time.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import httpx

from workflow_runner.activities.http_models import HttpAuthentication, OAuth2Settings
from workflow_runner.activities.problem import problem

# Refresh a cached token this long before the authority says it expires.
_EXPIRY_MARGIN_SECONDS = 30.0
# When the authority gives no `expires_in`, reuse a token for this long.
_DEFAULT_TOKEN_LIFETIME_SECONDS = 300.0


class _BearerAuth(httpx.Auth):
    """Adds ``Authorization: Bearer <token>``."""

    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


@dataclass
class _CachedToken:
    access_token: str
    expires_at: float


class HttpAuthenticator:
    """Turns an ``HttpAuthentication`` into an ``httpx.Auth``.

    Args:
        client: The shared client used for OAuth2 token requests.
    """

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client
        self._tokens: dict[tuple[object, ...], _CachedToken] = {}

    async def auth_for(self, policy: HttpAuthentication | None) -> httpx.Auth | None:
        """The httpx auth flow for ``policy`` (``None`` when there is none).

        Raises:
            ApplicationError: ``configuration`` for an incomplete or unknown
                policy, ``authentication`` when the token request fails.
        """
        if policy is None:
            return None
        scheme = policy.scheme.lower()
        if scheme in ("basic", "digest"):
            if policy.username is None or policy.password is None:
                raise problem(
                    "configuration",
                    "Incomplete authentication policy",
                    f"{scheme} authentication needs 'username' and 'password'",
                )
            if scheme == "basic":
                return httpx.BasicAuth(policy.username, policy.password)
            return httpx.DigestAuth(policy.username, policy.password)
        if scheme == "bearer":
            if not policy.token:
                raise problem(
                    "configuration",
                    "Incomplete authentication policy",
                    "bearer authentication needs a non-empty 'token'",
                )
            return _BearerAuth(policy.token)
        if scheme in ("oauth2", "oidc"):
            if policy.oauth2 is None:
                raise problem(
                    "configuration",
                    "Incomplete authentication policy",
                    f"{scheme} authentication needs its settings (authority, grant, client)",
                )
            return _BearerAuth(await self._access_token(policy.oauth2))
        raise problem(
            "configuration",
            "Unsupported authentication scheme",
            f"authentication scheme '{policy.scheme}' is not supported "
            "(supported: basic, bearer, digest, oauth2, oidc)",
        )

    async def authorization_header(self, policy: HttpAuthentication | None) -> str | None:
        """The ``Authorization`` value for non-HTTP transports (gRPC metadata).

        Digest needs an HTTP challenge/response exchange, so it has no header form.

        Raises:
            ApplicationError: as ``auth_for``, and ``configuration`` for digest.
        """
        if policy is None:
            return None
        scheme = policy.scheme.lower()
        if scheme == "digest":
            raise problem(
                "configuration",
                "Unsupported authentication scheme",
                "digest authentication only applies to HTTP calls",
            )
        await self.auth_for(policy)  # validates the policy the same way
        if scheme == "basic":
            pair = f"{policy.username}:{policy.password}".encode()
            return "Basic " + base64.b64encode(pair).decode("ascii")
        if scheme == "bearer":
            return f"Bearer {policy.token}"
        assert policy.oauth2 is not None
        return f"Bearer {await self._access_token(policy.oauth2)}"

    async def _access_token(self, settings: OAuth2Settings) -> str:
        key = (
            settings.token_url,
            settings.discovery_url,
            settings.grant,
            settings.client_id,
            settings.username,
            tuple(settings.scopes),
            tuple(settings.audiences),
        )
        cached = self._tokens.get(key)
        if cached is not None and cached.expires_at > time.monotonic():
            return cached.access_token
        token, lifetime = await self._request_token(settings)
        self._tokens[key] = _CachedToken(
            token, time.monotonic() + max(0.0, lifetime - _EXPIRY_MARGIN_SECONDS)
        )
        return token

    async def _token_url(self, settings: OAuth2Settings) -> str:
        if settings.token_url:
            return settings.token_url
        if not settings.discovery_url:
            raise problem(
                "configuration",
                "Incomplete authentication policy",
                "oauth2 authentication needs an 'authority'",
            )
        try:
            response = await self._client.get(settings.discovery_url, follow_redirects=True)
            token_url = response.json()["token_endpoint"] if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            raise problem(
                "authentication",
                "OpenID Connect discovery failed",
                f"cannot read {settings.discovery_url}: {exc!r}",
            ) from exc
        if not isinstance(token_url, str) or not token_url:
            raise problem(
                "authentication",
                "OpenID Connect discovery failed",
                f"{settings.discovery_url} answered {response.status_code} "
                "without a 'token_endpoint'",
            )
        return token_url

    async def _request_token(self, settings: OAuth2Settings) -> tuple[str, float]:
        token_url = await self._token_url(settings)
        if settings.grant not in ("client_credentials", "password"):
            raise problem(
                "configuration",
                "Unsupported OAuth2 grant",
                f"oauth2 grant '{settings.grant}' is not supported "
                "(supported: client_credentials, password)",
            )
        form: dict[str, Any] = {"grant_type": settings.grant}
        if settings.grant == "password":
            if settings.username is None or settings.password is None:
                raise problem(
                    "configuration",
                    "Incomplete authentication policy",
                    "oauth2 password grant needs 'username' and 'password'",
                )
            form["username"] = settings.username
            form["password"] = settings.password
        if settings.scopes:
            form["scope"] = " ".join(settings.scopes)
        if settings.audiences:
            form["audience"] = " ".join(settings.audiences)
        # Only client_secret_basic authenticates the token request itself.
        auth_kwargs: dict[str, Any] = {}
        method = settings.client_authentication
        if method == "client_secret_basic":
            auth_kwargs["auth"] = httpx.BasicAuth(
                settings.client_id or "", settings.client_secret or ""
            )
        elif method == "client_secret_post":
            if settings.client_id is not None:
                form["client_id"] = settings.client_id
            if settings.client_secret is not None:
                form["client_secret"] = settings.client_secret
        elif method == "none":
            if settings.client_id is not None:
                form["client_id"] = settings.client_id
        else:
            raise problem(
                "configuration",
                "Unsupported OAuth2 client authentication",
                f"oauth2 client.authentication '{method}' is not supported "
                "(supported: client_secret_post, client_secret_basic, none)",
            )
        try:
            if settings.encoding == "application/json":
                response = await self._client.post(token_url, json=form, **auth_kwargs)
            else:
                response = await self._client.post(token_url, data=form, **auth_kwargs)
        except httpx.HTTPError as exc:
            raise problem(
                "authentication",
                "OAuth2 token request failed",
                f"token request to {token_url} failed: {exc!r}",
            ) from exc
        if response.status_code != 200:
            raise problem(
                "authentication",
                "OAuth2 token request rejected",
                f"token endpoint {token_url} answered {response.status_code}: {response.text}",
            )
        try:
            payload = response.json()
            token = payload["access_token"]
        except (ValueError, KeyError, TypeError) as exc:
            raise problem(
                "authentication",
                "Invalid OAuth2 token response",
                f"token endpoint {token_url} returned no 'access_token'",
            ) from exc
        if not isinstance(token, str) or not token:
            raise problem(
                "authentication",
                "Invalid OAuth2 token response",
                f"token endpoint {token_url} returned an empty 'access_token'",
            )
        expires_in = payload.get("expires_in")
        lifetime = (
            float(expires_in)
            if isinstance(expires_in, int | float)
            else _DEFAULT_TOKEN_LIFETIME_SECONDS
        )
        return token, lifetime
