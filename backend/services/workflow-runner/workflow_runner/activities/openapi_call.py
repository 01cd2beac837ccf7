"""The ``call: openapi`` activity: fetch the document, build the request, send it."""

from __future__ import annotations

import json
import time
from typing import Any

import yaml
from temporalio import activity

from workflow_runner.activities import names
from workflow_runner.activities.heartbeat import heartbeating
from workflow_runner.activities.http_exchange import HttpExchange
from workflow_runner.activities.http_models import (
    HttpAuthentication,
    HttpCallInput,
    HttpCallOutput,
    OpenApiCallInput,
)
from workflow_runner.activities.openapi_operation import build_request
from workflow_runner.activities.problem import problem
from workflow_runner.activities.resource_fetch import ResourceFetcher


class OpenApiActivities:
    """OpenAPI operation calls.

    Documents are cached per URI for ``document_ttl_seconds`` so a loop of calls
    does not download the document every time, while an updated document is
    still picked up soon.

    Args:
        exchange: Sends the operation request (same rules as ``call: http``).
        document_ttl_seconds: How long a fetched document is reused.
    """

    def __init__(self, exchange: HttpExchange, document_ttl_seconds: float = 60.0) -> None:
        self._exchange = exchange
        self._fetcher = ResourceFetcher(exchange)
        self._ttl = document_ttl_seconds
        self._documents: dict[str, tuple[float, dict[str, Any]]] = {}

    async def _document(self, uri: str, auth: HttpAuthentication | None) -> dict[str, Any]:
        cached = self._documents.get(uri)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        text = await self._fetcher.read_text(uri, "document.endpoint", auth)
        try:
            parsed = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
        except (ValueError, yaml.YAMLError) as exc:
            raise problem(
                "configuration",
                "Invalid OpenAPI document",
                f"'document' {uri!r} is neither JSON nor YAML: {exc}",
            ) from exc
        if not isinstance(parsed, dict) or not ("openapi" in parsed or "swagger" in parsed):
            raise problem(
                "configuration",
                "Invalid OpenAPI document",
                f"'document' {uri!r} has no 'openapi' or 'swagger' version field",
            )
        self._documents[uri] = (time.monotonic() + self._ttl, parsed)
        return parsed

    @activity.defn(name=names.CALL_OPENAPI)
    async def call_openapi(self, call: OpenApiCallInput) -> HttpCallOutput:
        """Call the operation; fail with a problem-details ``ApplicationError``.

        Heartbeats while waiting (see ``call_http``).
        """
        return await heartbeating(self._call(call))

    async def _call(self, call: OpenApiCallInput) -> HttpCallOutput:
        document = await self._document(call.document_uri, call.document_authentication)
        request = build_request(document, call.document_uri, call.operation_id, call.parameters)
        value = await self._exchange.send(
            HttpCallInput(
                method=request.method,
                uri=request.uri,
                headers=request.headers,
                query=request.query,
                body=request.body,
                output=call.output,
                redirect=call.redirect,
                authentication=call.authentication,
                timeout_seconds=call.timeout_seconds,
            )
        )
        return HttpCallOutput(value=value)
