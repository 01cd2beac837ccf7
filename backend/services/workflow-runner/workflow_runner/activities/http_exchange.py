"""Sending one HTTP request and shaping the response the way the DSL says.

Shared by ``call: http`` and ``call: openapi`` (which builds an
``HttpCallInput`` from the operation and then comes here), so both apply the
same status rules, redirects, authentication and output modes.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Final

import httpx

from workflow_runner.activities.http_auth import HttpAuthenticator
from workflow_runner.activities.http_models import OUTPUT_MODES, HttpCallInput
from workflow_runner.activities.problem import problem

# Credentials must not leak into the task output (and so into history).
_REDACTED_REQUEST_HEADERS: Final = frozenset({"authorization", "proxy-authorization", "cookie"})
_TEXT_CONTENT_TYPES: Final = (
    "text/",
    "application/xml",
    "application/javascript",
    "application/x-www-form-urlencoded",
)


def is_json_content_type(content_type: str) -> bool:
    """Whether a media type carries JSON (``application/json``, ``*+json``)."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def _query_value(value: Any) -> str | list[str] | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        items = [_query_value(item) for item in value]
        return [item for item in items if isinstance(item, str)]
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _query_params(query: dict[str, Any]) -> list[tuple[str, str | int | float | bool | None]]:
    params: list[tuple[str, str | int | float | bool | None]] = []
    for name, raw in query.items():
        value = _query_value(raw)
        if isinstance(value, list):
            params.extend((name, item) for item in value)
        elif value is not None:
            params.append((name, value))
    return params


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _encode_body(body: Any, headers: dict[str, str]) -> dict[str, Any]:
    """httpx keyword arguments carrying ``body``, honouring a declared content type."""
    if body is None:
        return {}
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/x-www-form-urlencoded" and isinstance(body, dict):
        return {"data": {k: _header_value(v) for k, v in body.items()}}
    if isinstance(body, str) and not is_json_content_type(content_type):
        return {"content": body.encode()}
    encoded = json.dumps(body, separators=(",", ":")).encode()
    if not content_type:
        headers["Content-Type"] = "application/json"
    return {"content": encoded}


def decode_content(response: httpx.Response) -> Any:
    """The response content: JSON parsed, text as text, anything else base64."""
    if not response.content:
        return None
    content_type = response.headers.get("content-type", "")
    if is_json_content_type(content_type):
        try:
            return json.loads(response.content)
        except ValueError:
            return response.text
    lowered = content_type.lower()
    if any(lowered.startswith(prefix) for prefix in _TEXT_CONTENT_TYPES):
        return response.text
    try:
        # Untyped bodies are usually text; only fall back to base64 for bytes.
        return response.content.decode("utf-8") if not content_type else _b64(response)
    except UnicodeDecodeError:
        return _b64(response)


def _b64(response: httpx.Response) -> str:
    return base64.b64encode(response.content).decode("ascii")


def _headers_dict(headers: httpx.Headers, *, redact: bool) -> dict[str, str]:
    result: dict[str, str] = {}
    for name in headers:
        if redact and name.lower() in _REDACTED_REQUEST_HEADERS:
            continue
        result[name] = ", ".join(headers.get_list(name))
    return result


def response_object(response: httpx.Response) -> dict[str, Any]:
    """The spec's HTTP response object: ``{request, statusCode, headers, content}``."""
    request = response.request
    return {
        "request": {
            "method": request.method.lower(),
            "uri": str(request.url),
            "headers": _headers_dict(request.headers, redact=True),
        },
        "statusCode": response.status_code,
        "headers": _headers_dict(response.headers, redact=False),
        "content": decode_content(response),
    }


#: A task output is one Temporal payload (hard limit 2 MB, base64 adds a third):
#: larger bodies fail clearly instead of failing the activity completion.
MAX_RESPONSE_BYTES: Final = 1_000_000


class HttpExchange:
    """Sends ``HttpCallInput`` requests through one shared client.

    Args:
        client: The shared ``httpx.AsyncClient`` (connection pooling across calls).
        default_timeout_seconds: Network timeout when the input sets none.
        max_response_bytes: Largest response body accepted.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        default_timeout_seconds: float = 60.0,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self._client = client
        self._authenticator = HttpAuthenticator(client)
        self._default_timeout = default_timeout_seconds
        self._max_response_bytes = max_response_bytes

    @property
    def authenticator(self) -> HttpAuthenticator:
        """The authenticator (and its OAuth2 token cache) this exchange uses."""
        return self._authenticator

    async def send(self, call: HttpCallInput) -> Any:
        """Send the request and return the output shaped by ``call.output``.

        Raises:
            ApplicationError: ``configuration`` for a bad method/URI/output mode,
                ``timeout`` when the server is too slow, ``communication`` for
                network failures and for a status outside the accepted range
                (with the real status), ``authentication`` when an OAuth2 token
                cannot be obtained.
        """
        if call.output not in OUTPUT_MODES:
            raise problem(
                "configuration",
                "Invalid HTTP call output",
                f"'output' must be one of {', '.join(OUTPUT_MODES)}, got '{call.output}'",
            )
        if not call.method or not call.method.isalpha():
            raise problem(
                "configuration", "Invalid HTTP method", f"'method' is invalid: {call.method!r}"
            )
        try:
            url = httpx.URL(call.uri)
        except (httpx.InvalidURL, TypeError) as exc:
            raise problem(
                "configuration", "Invalid HTTP endpoint", f"'endpoint' is invalid: {exc}"
            ) from exc
        if url.scheme not in ("http", "https"):
            raise problem(
                "configuration",
                "Invalid HTTP endpoint",
                f"'endpoint' must be an absolute http(s) URI, got {call.uri!r}",
            )
        params = _query_params(call.query)
        if params:
            # Keep the query already in the URI (`?status={status}` templates).
            url = url.copy_merge_params(params)
        headers = {name: _header_value(value) for name, value in call.headers.items()}
        body_kwargs = _encode_body(call.body, headers)
        auth = await self._authenticator.auth_for(call.authentication)
        timeout = (
            call.timeout_seconds if call.timeout_seconds is not None else self._default_timeout
        )
        method = call.method.upper()
        try:
            request = self._client.build_request(
                method,
                url,
                headers=headers,
                timeout=timeout,
                **body_kwargs,
            )
            response = await self._client.send(
                request,
                auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT,
                follow_redirects=call.redirect,
            )
        except httpx.TimeoutException as exc:
            raise problem(
                "timeout",
                "HTTP request timed out",
                f"{method} {call.uri} got no answer within {timeout} s ({type(exc).__name__})",
            ) from exc
        except httpx.HTTPError as exc:
            raise problem(
                "communication",
                "HTTP request failed",
                f"{method} {call.uri} failed: {exc!r}",
                status=503,
            ) from exc
        upper = 400 if call.redirect else 300
        if not 200 <= response.status_code < upper:
            raise problem(
                "communication",
                f"HTTP {response.status_code} {response.reason_phrase}".strip(),
                f"{method} {response.request.url} answered {response.status_code}: {response.text}",
                status=response.status_code,
            )
        if len(response.content) > self._max_response_bytes:
            raise problem(
                "runtime",
                "HTTP response too large",
                f"{method} {response.request.url} returned {len(response.content)} bytes; "
                f"a task output is limited to {self._max_response_bytes} bytes",
            )
        if call.output == "raw":
            return _b64(response)
        if call.output == "response":
            return response_object(response)
        return decode_content(response)
