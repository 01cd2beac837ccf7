"""Turning an OpenAPI operation and its parameters into an HTTP request.

Pure functions over an already-parsed document, so they are tested without a
network. Both Swagger 2.0 (``host``/``basePath``/``schemes``, ``in: body`` and
``in: formData`` parameters) and OpenAPI 3.x (``servers``, ``requestBody``) are
understood, since public APIs still publish both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote, urljoin, urlsplit

from workflow_runner.activities.problem import problem

_METHODS: Final = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class Operation:
    """An operation found in a document.

    Attributes:
        method: Lower-case HTTP method.
        path: Path template, e.g. ``/pet/{petId}``.
        spec: The operation object.
        parameters: Path-level and operation-level parameters, resolved.
    """

    method: str
    path: str
    spec: dict[str, Any]
    parameters: list[dict[str, Any]]


@dataclass(frozen=True)
class OperationRequest:
    """The HTTP request an operation call becomes."""

    method: str
    uri: str
    headers: dict[str, str]
    query: dict[str, Any]
    body: Any


def _resolve_ref(document: dict[str, Any], node: Any) -> Any:
    """Follow a local ``$ref`` (``#/...``); other refs are not supported."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise problem(
                "configuration",
                "Unsupported OpenAPI reference",
                f"only local '#/...' references are supported, got {ref!r}",
            )
        target: Any = document
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                raise problem(
                    "configuration", "Broken OpenAPI reference", f"reference {ref!r} not found"
                )
            target = target[part]
        node = target
        seen += 1
        if seen > 32:
            raise problem("configuration", "Cyclic OpenAPI reference", f"{ref!r} loops")
    return node


def find_operation(document: dict[str, Any], operation_id: str) -> Operation:
    """Locate ``operation_id`` in the document's paths.

    Raises:
        ApplicationError: ``configuration`` when the document has no paths or
            the operation is absent (naming the ids that exist).
    """
    paths = document.get("paths")
    if not isinstance(paths, dict):
        raise problem(
            "configuration", "Invalid OpenAPI document", "the document has no 'paths' object"
        )
    known: list[str] = []
    for path, path_item_raw in paths.items():
        path_item = _resolve_ref(document, path_item_raw)
        if not isinstance(path_item, dict):
            continue
        shared = [_resolve_ref(document, p) for p in path_item.get("parameters", [])]
        for method in _METHODS:
            spec = path_item.get(method)
            if not isinstance(spec, dict):
                continue
            op_id = spec.get("operationId")
            if isinstance(op_id, str):
                known.append(op_id)
            if op_id != operation_id:
                continue
            own = [_resolve_ref(document, p) for p in spec.get("parameters", [])]
            # Operation-level parameters override path-level ones with the same name/location.
            own_keys = {(p.get("name"), p.get("in")) for p in own}
            merged = [p for p in shared if (p.get("name"), p.get("in")) not in own_keys] + own
            return Operation(method=method, path=str(path), spec=spec, parameters=merged)
    listing = ", ".join(sorted(known)[:20]) or "none"
    raise problem(
        "configuration",
        "Unknown OpenAPI operation",
        f"operationId '{operation_id}' not found in the document (known: {listing})",
    )


def base_url(document: dict[str, Any], document_uri: str) -> str:
    """The server URL operations are relative to.

    Swagger 2.0: ``schemes[0]://host + basePath``, where a missing host or
    scheme comes from the document's own URI. OpenAPI 3: the first
    ``servers[].url`` with variables at their defaults, resolved against the
    document URI when relative.
    """
    source = urlsplit(document_uri)
    if "swagger" in document:
        schemes = document.get("schemes") or []
        scheme = source.scheme if source.scheme in schemes or not schemes else schemes[0]
        host = document.get("host") or source.netloc
        return f"{scheme}://{host}{document.get('basePath', '')}".rstrip("/")
    servers = document.get("servers") or [{"url": "/"}]
    server: dict[str, Any] = servers[0] if isinstance(servers[0], dict) else {"url": "/"}
    url = str(server.get("url", "/"))
    variables: dict[str, Any] = server.get("variables") or {}
    for name, variable in variables.items():
        default = variable.get("default", "") if isinstance(variable, dict) else ""
        url = url.replace("{" + name + "}", str(default))
    return urljoin(document_uri, url).rstrip("/")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def build_request(
    document: dict[str, Any], document_uri: str, operation_id: str, parameters: dict[str, Any]
) -> OperationRequest:
    """The HTTP request for calling ``operation_id`` with ``parameters``.

    Raises:
        ApplicationError: ``configuration`` for an unknown operation, a missing
            required parameter (named), or an unsupported document feature.
    """
    operation = find_operation(document, operation_id)
    path = operation.path
    query: dict[str, Any] = {}
    headers: dict[str, str] = {}
    cookies: list[str] = []
    form: dict[str, Any] = {}
    body: Any = None
    consumed: set[str] = set()
    for param in operation.parameters:
        name = param.get("name")
        location = param.get("in")
        if not isinstance(name, str):
            continue
        if name not in parameters:
            if param.get("required") or location == "path":
                raise problem(
                    "configuration",
                    "Missing OpenAPI parameter",
                    f"operation '{operation_id}' requires parameter '{name}' (in {location})",
                )
            continue
        consumed.add(name)
        value = parameters[name]
        if location == "path":
            path = path.replace("{" + name + "}", quote(_text(value), safe=""))
        elif location == "query":
            query[name] = value
        elif location == "header":
            headers[name] = _text(value)
        elif location == "cookie":
            cookies.append(f"{name}={_text(value)}")
        elif location == "body":
            body = value
        elif location == "formData":
            form[name] = value
    if cookies:
        headers["Cookie"] = "; ".join(cookies)
    content_types: list[str] = list(
        operation.spec.get("consumes") or document.get("consumes") or []
    )
    request_body = _resolve_ref(document, operation.spec.get("requestBody"))
    if isinstance(request_body, dict):
        content_types = list((request_body.get("content") or {}).keys())
        if "body" in parameters and "body" not in consumed:
            body = parameters["body"]
        else:
            rest = {k: v for k, v in parameters.items() if k not in consumed}
            body = rest or None
        if body is None and request_body.get("required"):
            raise problem(
                "configuration",
                "Missing OpenAPI request body",
                f"operation '{operation_id}' requires a request body: pass it as parameter 'body'",
            )
    if form:
        body = form
        content_types = [
            t
            for t in content_types
            if t in ("application/x-www-form-urlencoded", "multipart/form-data")
        ] or ["application/x-www-form-urlencoded"]
    if body is not None:
        chosen = next(
            (t for t in content_types if "json" in t),
            content_types[0] if content_types else "application/json",
        )
        if chosen == "multipart/form-data":
            raise problem(
                "configuration",
                "Unsupported OpenAPI request body",
                f"operation '{operation_id}' only accepts multipart/form-data, not supported",
            )
        headers.setdefault("Content-Type", chosen)
    return OperationRequest(
        method=operation.method,
        uri=base_url(document, document_uri) + path,
        headers=headers,
        query=query,
        body=body,
    )
