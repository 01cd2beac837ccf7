"""The console's HTTP side: the page, its assets and a JSON/SSE API over stigmer-server.

Routes (all under the same loopback origin, so the page needs no CORS):

- ``GET /`` the page; ``GET /static/...`` its bundle and stylesheet.
- ``GET /api/executions``, ``GET /api/executions/{id}``, ``GET /api/workflows``,
  ``GET /api/workflows/{id}``: JSON.
- ``GET /api/agent-executions/{id}``: an agent execution (conversation, tool calls, todos).
- ``POST /api/agent-executions/{id}/tool-calls/{call}/approve|reject``: decide a
  tool call WAITING_APPROVAL.
- ``GET /api/executions/{id}/events``, ``GET /api/agent-executions/{id}/events``:
  server-sent events, one ``execution`` event per change Subscribe reports, then ``end``.
- ``POST /api/executions/{id}/{cancel|pause|resume}``, ``POST /api/workflows/{id}/run``.

Errors are JSON ``{"error": "..."}`` with the HTTP status of the gRPC code
(401 bad key, 404 not found, 400 bad input, 502 stigmer-server unreachable).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
import jsonschema
from aiohttp import web
from stigmer_client.tls import ChannelTls

from stigmer_console.backend import StigmerBackend, key_metadata
from stigmer_console.views import (
    agent_execution_detail,
    agent_execution_summary,
    execution_detail,
    execution_summary,
    workflow_detail,
    workflow_name,
    workflow_summary,
)

STATIC = Path(__file__).parent / "static"
BACKEND: web.AppKey[StigmerBackend] = web.AppKey("backend", StigmerBackend)
PAGE_ASSETS: web.AppKey[dict[str, tuple[bytes, str]]] = web.AppKey("page_assets", dict)
#: Seconds between SSE comments while an execution is quiet (keeps proxies and the page sure
#: the stream is alive).
KEEPALIVE_SECONDS = 15.0

_HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAVAILABLE: 502,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}


def _problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def rpc_problem(error: grpc.aio.AioRpcError, what: str) -> web.Response:
    """The readable message and HTTP status of a failed call to stigmer-server."""
    code = error.code()
    if code == grpc.StatusCode.UNAVAILABLE:
        message = f"{what}: stigmer-server is not reachable ({error.details()})"
    elif code == grpc.StatusCode.UNAUTHENTICATED:
        message = f"{what}: the API key was refused ({error.details()})"
    else:
        message = f"{what}: {error.details()}"
    return _problem(_HTTP_STATUS.get(code, 500), message)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def grpc_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A failed gRPC call becomes a JSON problem instead of a 500 page with a traceback."""
    try:
        return await handler(request)
    except grpc.aio.AioRpcError as error:
        return rpc_problem(error, f"{request.method} {request.path}")


def _metadata(request: web.Request) -> tuple[tuple[str, str], ...]:
    return key_metadata(request.headers.get("Authorization", ""))


def _backend(request: web.Request) -> StigmerBackend:
    return request.app[BACKEND]


# The page's files, read once. Served from memory rather than with add_static:
# in Bazel's runfiles (and installed trees) they are symlinks into the source
# tree, which aiohttp's static route refuses to follow.
ASSETS = {
    "index.html": "text/html",
    "app.js": "text/javascript",
    "style.css": "text/css",
}


def load_assets() -> dict[str, tuple[bytes, str]]:
    return {name: ((STATIC / name).read_bytes(), kind) for name, kind in ASSETS.items()}


async def index(request: web.Request) -> web.Response:
    body, kind = request.app[PAGE_ASSETS]["index.html"]
    return web.Response(body=body, content_type=kind, charset="utf-8")


async def asset(request: web.Request) -> web.Response:
    found = request.app[PAGE_ASSETS].get(request.match_info["name"])
    if found is None or request.match_info["name"] == "index.html":
        raise web.HTTPNotFound()
    body, kind = found
    return web.Response(
        body=body, content_type=kind, charset="utf-8", headers={"Cache-Control": "no-cache"}
    )


async def list_executions(request: web.Request) -> web.Response:
    """Workflow and agent executions, newest first, each with its workflow's or agent's name."""
    backend, metadata = _backend(request), _metadata(request)
    executions, workflows, agent_executions, agents = await asyncio.gather(
        backend.list_executions(metadata),
        backend.list_workflows(metadata),
        backend.list_agent_executions(metadata),
        backend.list_agents(metadata),
    )
    names = {w.metadata.id: workflow_name(w) for w in workflows}
    agent_names = {a.metadata.id: _agent_name(a) for a in agents}
    rows = [
        execution_summary(e, names.get(e.spec.workflow_id, e.spec.workflow_id)) for e in executions
    ]
    rows += [
        agent_execution_summary(e, agent_names.get(_agent_of(e), _agent_of(e)))
        for e in agent_executions
    ]
    rows.sort(key=lambda row: (row["created_at"] or 0, row["id"]), reverse=True)
    return web.json_response({"items": rows})


def _agent_name(agent: Any) -> str:
    return str(agent.metadata.slug or agent.metadata.name or agent.metadata.id)


def _agent_of(execution: Any) -> str:
    return str(execution.spec.agent_id or execution.status.agent_id)


async def _workflow_name_of(request: web.Request, execution: Any) -> str:
    """The execution's workflow name (its id when it cannot be read: deleted, say)."""
    workflow_id = str(execution.spec.workflow_id)
    if workflow_id:
        try:
            return workflow_name(
                await _backend(request).get_workflow(workflow_id, _metadata(request))
            )
        except grpc.aio.AioRpcError:
            pass  # a deleted workflow still leaves its executions readable
    return workflow_id


async def _agent_name_of(request: web.Request, execution: Any) -> str:
    agent_id = _agent_of(execution)
    if agent_id:
        try:
            return _agent_name(await _backend(request).get_agent(agent_id, _metadata(request)))
        except grpc.aio.AioRpcError:
            pass
    return agent_id or "agent"


async def get_execution(request: web.Request) -> web.Response:
    execution = await _backend(request).get_execution(request.match_info["id"], _metadata(request))
    return web.json_response(
        execution_detail(execution, await _workflow_name_of(request, execution))
    )


async def get_agent_execution(request: web.Request) -> web.Response:
    execution = await _backend(request).get_agent_execution(
        request.match_info["id"], _metadata(request)
    )
    return web.json_response(
        agent_execution_detail(execution, await _agent_name_of(request, execution))
    )


async def execution_events(request: web.Request) -> web.StreamResponse:
    stream = _backend(request).subscribe(request.match_info["id"], _metadata(request))
    return await _event_stream(request, stream, _workflow_name_of, execution_detail)


async def agent_execution_events(request: web.Request) -> web.StreamResponse:
    stream = _backend(request).subscribe_agent(request.match_info["id"], _metadata(request))
    return await _event_stream(request, stream, _agent_name_of, agent_execution_detail)


async def _event_stream(
    request: web.Request,
    stream: AsyncIterator[Any],
    name_of: Callable[[web.Request, Any], Awaitable[str]],
    detail: Callable[[Any, str], dict[str, Any]],
) -> web.StreamResponse:
    """Server-sent events fed by Subscribe: ``execution`` per change, ``end`` when it ends.

    A failure before the first event is a JSON problem (the page shows it); a
    failure mid-stream is a ``problem`` event (the page then falls back to polling).
    """
    iterator = stream.__aiter__()
    try:
        try:
            first = await iterator.__anext__()
        except StopAsyncIteration:
            return _problem(404, "the execution stream ended before its first update")
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        name = await name_of(request, first)
        await _send(response, "execution", detail(first, name))
        try:
            while True:
                try:
                    update = await asyncio.wait_for(iterator.__anext__(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                except StopAsyncIteration:
                    break
                await _send(response, "execution", detail(update, name))
            await _send(response, "end", {})
        except grpc.aio.AioRpcError as error:
            await _send(response, "problem", {"error": f"live updates: {error.details()}"})
        return response
    finally:
        # The page went away (a write failed) or the stream ended: release the Subscribe call.
        cancel = getattr(stream, "cancel", None)
        if cancel is not None:
            cancel()


async def _send(response: web.StreamResponse, event: str, data: Any) -> None:
    await response.write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())


async def control_execution(request: web.Request) -> web.Response:
    verb = request.match_info["verb"]
    body = await _json_body(request)
    reason = body.get("reason", "") if isinstance(body, dict) else ""
    execution = await _backend(request).control(
        verb, request.match_info["id"], str(reason or "from the console"), _metadata(request)
    )
    return web.json_response(
        execution_detail(execution, await _workflow_name_of(request, execution))
    )


async def decide_tool_call(request: web.Request) -> web.Response:
    """POST .../tool-calls/{call}/approve|reject: the decision on one waiting call."""
    execution = await _backend(request).decide_tool_calls(
        request.match_info["id"],
        [request.match_info["call"]],
        request.match_info["verb"] == "approve",
        _metadata(request),
    )
    return web.json_response(
        agent_execution_detail(execution, await _agent_name_of(request, execution))
    )


async def list_workflows(request: web.Request) -> web.Response:
    workflows = await _backend(request).list_workflows(_metadata(request))
    rows = sorted((workflow_summary(w) for w in workflows), key=lambda row: row["name"])
    return web.json_response({"items": rows})


async def get_workflow(request: web.Request) -> web.Response:
    workflow = await _backend(request).get_workflow(request.match_info["id"], _metadata(request))
    return web.json_response(workflow_detail(workflow))


async def run_workflow(request: web.Request) -> web.Response:
    """Start an execution; the input must be a JSON object valid against the input schema."""
    backend, metadata = _backend(request), _metadata(request)
    body = await _json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("input", {}), dict):
        return _problem(400, "input: must be a JSON object")
    workflow_input: dict[str, Any] = body.get("input", {})
    workflow = await backend.get_workflow(request.match_info["id"], metadata)
    schema = workflow_summary(workflow)["input_schema"]
    if schema is not None:
        error = jsonschema.exceptions.best_match(
            jsonschema.Draft202012Validator(schema).iter_errors(workflow_input)
        )
        if error is not None:
            path = "/".join(str(p) for p in error.absolute_path)
            return _problem(400, f"input: at '/{path}': {error.message}")
    base = workflow_name(workflow)[:50]
    created = await backend.start_execution(
        workflow, f"{base}-{uuid.uuid4().hex[:10]}", workflow_input, metadata
    )
    return web.json_response({"id": created.metadata.id}, status=201)


async def _json_body(request: web.Request) -> Any:
    if not request.can_read_body:
        return {}
    try:
        return await request.json()
    except json.JSONDecodeError as error:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": f"body: not valid JSON ({error.msg})"}),
            content_type="application/json",
        ) from None


def build_app(server_address: str, tls: ChannelTls | None = None) -> web.Application:
    """The console app talking to stigmer-server at ``server_address`` (over TLS if given)."""
    app = web.Application(middlewares=[grpc_errors])

    async def backend_context(app: web.Application) -> AsyncIterator[None]:
        # The gRPC channel binds to the running loop: made here, not before run_app.
        app[BACKEND] = StigmerBackend(server_address, tls)
        yield
        await app[BACKEND].close()

    app.cleanup_ctx.append(backend_context)
    app.router.add_get("/", index)
    app[PAGE_ASSETS] = load_assets()
    app.router.add_get("/static/{name}", asset)
    app.router.add_get("/api/executions", list_executions)
    app.router.add_get("/api/executions/{id}", get_execution)
    app.router.add_get("/api/executions/{id}/events", execution_events)
    app.router.add_post(r"/api/executions/{id}/{verb:cancel|pause|resume}", control_execution)
    app.router.add_get("/api/agent-executions/{id}", get_agent_execution)
    app.router.add_get("/api/agent-executions/{id}/events", agent_execution_events)
    app.router.add_post(
        r"/api/agent-executions/{id}/tool-calls/{call}/{verb:approve|reject}", decide_tool_call
    )
    app.router.add_get("/api/workflows", list_workflows)
    app.router.add_get("/api/workflows/{id}", get_workflow)
    app.router.add_post("/api/workflows/{id}/run", run_workflow)
    return app
