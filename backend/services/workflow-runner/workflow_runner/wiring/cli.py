"""The `dsl` command's wiring: codec-encrypted client, wired worker, events, secrets, catalog.

Kept apart from the engine's CLI module (``cli/dsl.py``), which calls in here:
that module owns argument parsing for ``run``; this one adds the options and
the ``emit`` subcommand of the events/secrets/catalog features and builds the
worker they need.

Every `dsl` process that runs a workflow also polls the registry's queue
(``stigmer_event_registry``), so events published by ``dsl emit`` or the HTTP
endpoint are routed as long as any `dsl` process is alive; with none alive they
wait durably in the registry's history.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from stigmer.engine.v1.contract_pb2 import ExecuteServerlessWorkflowInput
from stigmer_common.payload_codec import encrypted_data_converter, load_keyring
from stigmer_dsl.errors import WorkflowError
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError

from workflow_runner.catalog import DirectoryCatalog
from workflow_runner.catalog.catalog import CatalogError
from workflow_runner.engine.errors import error_from_failure
from workflow_runner.engine.names import WORKFLOW_TYPE
from workflow_runner.events.cloudevent import CloudEventError, new_event
from workflow_runner.events.http_endpoint import CloudEventsEndpoint
from workflow_runner.events.names import DEFAULT_BUS, REGISTRY_TASK_QUEUE
from workflow_runner.events.publisher import BusConfig, EventPublisher
from workflow_runner.secrets import FileSecretProvider
from workflow_runner.secrets.provider import SecretProvider
from workflow_runner.wiring.settings import DEFAULT_MAX_DEPTH, RunSettings
from workflow_runner.wiring.worker import (
    EngineProviders,
    build_engine_worker,
    build_registry_worker,
)


class WiringUsageError(Exception):
    """A bad option of this module; the CLI reports it like its own usage errors."""


def add_run_options(run: argparse.ArgumentParser) -> None:
    """Options of ``dsl run`` for catalog, events and nesting (``--secrets`` is E1's flag)."""
    run.add_argument(
        "--catalog",
        type=Path,
        default=None,
        metavar="DIR",
        help="directory of workflow files that `run: workflow` resolves by document "
        "namespace/name/version",
    )
    run.add_argument(
        "--max-workflow-depth",
        type=int,
        default=DEFAULT_MAX_DEPTH,
        metavar="N",
        help=f"deepest `run: workflow` nesting allowed (default {DEFAULT_MAX_DEPTH})",
    )
    run.add_argument(
        "--no-lifecycle-events",
        action="store_true",
        help="do not publish io.serverlessworkflow.* lifecycle events to the event bus",
    )
    run.add_argument(
        "--events-port",
        type=int,
        default=None,
        metavar="PORT",
        help="also accept CloudEvents over HTTP on 127.0.0.1:PORT while the workflow runs "
        "(structured and binary modes; 0 picks a free port, printed on stderr)",
    )
    run.add_argument("--bus", default=DEFAULT_BUS, help="event bus name (default: default)")


def add_emit_command(commands: Any) -> None:
    """``dsl emit --type T --source S [--data JSON]``: publish one CloudEvent to the bus."""
    emit = commands.add_parser(
        "emit",
        help="publish a CloudEvent to the event bus",
        description="Publish one CloudEvent; executions listening for it receive it. Needs a "
        "Temporal server (--address) where `dsl run` executions wait.",
    )
    emit.add_argument("--type", required=True, help="CloudEvent type")
    emit.add_argument("--source", required=True, help="CloudEvent source (URI)")
    emit.add_argument("--data", default=None, metavar="JSON", help="event data, a JSON value")
    emit.add_argument("--id", default=None, help="event id (default: a new UUID)")
    emit.add_argument("--subject", default=None, help="CloudEvent subject")
    emit.add_argument("--address", required=True, metavar="HOST:PORT", help="Temporal frontend")
    emit.add_argument("--namespace", default="default", help="Temporal namespace")
    emit.add_argument("--bus", default=DEFAULT_BUS, help="event bus name (default: default)")


def add_serve_events_command(commands: Any) -> None:
    """``dsl serve-events``: host the event registry and the CloudEvents HTTP endpoint."""
    serve = commands.add_parser(
        "serve-events",
        help="accept CloudEvents over HTTP and route them to waiting executions",
        description="Run until interrupted: an HTTP endpoint on 127.0.0.1 accepting CloudEvents "
        "(structured, batch and binary modes) and a worker hosting the event registry.",
    )
    serve.add_argument("--port", type=int, default=8787, help="HTTP port (default 8787; 0 = any)")
    serve.add_argument("--address", required=True, metavar="HOST:PORT", help="Temporal frontend")
    serve.add_argument("--namespace", default="default", help="Temporal namespace")
    serve.add_argument("--bus", default=DEFAULT_BUS, help="event bus name (default: default)")


async def serve_events(args: argparse.Namespace) -> tuple[int, Any]:
    """``dsl serve-events``: serve until interrupted (Ctrl-C)."""
    try:
        client = await connect(args.address, args.namespace)
    except RuntimeError as exc:
        raise WiringUsageError(
            f"--address: cannot reach Temporal at {args.address} ({exc})"
        ) from None
    bus = BusConfig(task_queue=REGISTRY_TASK_QUEUE, bus=args.bus)
    async with build_registry_worker(client, bus):
        endpoint = CloudEventsEndpoint(
            EventPublisher(client, bus).publish, asyncio.get_running_loop(), port=args.port
        ).start()
        print(f"dsl: accepting CloudEvents at {endpoint.url}", file=sys.stderr, flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            endpoint.stop()
    return 0, None


async def connect(address: str, namespace: str) -> Client:
    """A client whose payloads are encrypted with the local keyring (and decoded on read)."""
    return await Client.connect(
        address, namespace=namespace, data_converter=encrypted_data_converter(load_keyring())
    )


def with_codec(client: Client) -> Client:
    """The same connection as ``client`` with the payload codec (for a started dev server)."""
    return Client(
        client.service_client,
        namespace=client.namespace,
        data_converter=encrypted_data_converter(load_keyring()),
    )


def secret_source(raw: str | None) -> tuple[dict[str, Any] | None, SecretProvider | None]:
    """``--secrets``: a file (YAML/JSON map) or, for compatibility, an inline JSON object.

    Without the option, ``STIGMER_SECRETS_FILE`` names the file.
    """
    if raw is None:
        return None, FileSecretProvider.from_env()
    if raw.lstrip().startswith("{"):
        try:
            inline = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise WiringUsageError(f"--secrets: not valid JSON ({exc.msg})") from None
        return inline, None
    path = Path(raw)
    if not path.is_file():
        raise WiringUsageError(f"--secrets: file {path} does not exist")
    return None, FileSecretProvider(path)


def _catalog(path: Path | None) -> DirectoryCatalog | None:
    if path is None:
        return None
    try:
        return DirectoryCatalog(path)
    except CatalogError as exc:
        raise WiringUsageError(f"--catalog: {exc}") from None


async def execute(
    client: Client,
    params: ExecuteServerlessWorkflowInput,
    args: argparse.Namespace,
) -> tuple[int, Any]:
    """Run one workflow on a wired worker; (0, output) or (1, problem details)."""
    import httpx

    from workflow_runner.activities.io_activities import build_io_activities

    inline, provider = secret_source(args.secrets)
    if inline is not None:
        params.secrets.SetInParent()  # {} too: "resolved, none", not "load them"
        params.secrets.update(inline)
    catalog = _catalog(getattr(args, "catalog", None))
    bus = BusConfig(task_queue=REGISTRY_TASK_QUEUE, bus=getattr(args, "bus", DEFAULT_BUS))
    settings = RunSettings(
        lifecycle_events=not getattr(args, "no_lifecycle_events", False),
        max_depth=getattr(args, "max_workflow_depth", DEFAULT_MAX_DEPTH),
    )
    task_queue = f"dsl-cli-{uuid.uuid4()}"
    async with AsyncExitStack() as stack:
        http = await stack.enter_async_context(httpx.AsyncClient())
        await stack.enter_async_context(
            build_engine_worker(
                client,
                task_queue=task_queue,
                providers=EngineProviders(
                    bus=bus,
                    secrets=provider,
                    catalog=catalog,
                    io_activities=build_io_activities(http),
                ),
            )
        )
        await stack.enter_async_context(build_registry_worker(client, bus))
        port = getattr(args, "events_port", None)
        if port is not None:
            endpoint = CloudEventsEndpoint(
                EventPublisher(client, bus).publish, asyncio.get_running_loop(), port=port
            ).start()
            stack.callback(endpoint.stop)
            print(f"dsl: accepting CloudEvents at {endpoint.url}", file=sys.stderr, flush=True)
        try:
            output = await client.execute_workflow(
                WORKFLOW_TYPE,
                params,
                id=task_queue,
                task_queue=task_queue,
                memo=settings.memo(),
            )
        except WorkflowFailureError as failure:
            cause = failure.cause
            if isinstance(cause, ApplicationError):
                return 1, error_from_failure(cause).to_dict()
            return 1, WorkflowError.runtime(str(cause)).to_dict()
    return 0, output


async def emit(args: argparse.Namespace) -> tuple[int, Any]:
    """``dsl emit``: publish and print the event as sent."""
    try:
        data = json.loads(args.data) if args.data is not None else None
    except json.JSONDecodeError as exc:
        raise WiringUsageError(f"--data: not valid JSON ({exc.msg})") from None
    extra = {"subject": args.subject} if args.subject else None
    try:
        event = new_event(
            type=args.type, source=args.source, data=data, event_id=args.id, extra=extra
        )
    except CloudEventError as exc:
        raise WiringUsageError(str(exc)) from None
    try:
        client = await connect(args.address, args.namespace)
    except RuntimeError as exc:  # the SDK's connection failure
        raise WiringUsageError(
            f"--address: cannot reach Temporal at {args.address} ({exc})"
        ) from None
    bus = BusConfig(task_queue=REGISTRY_TASK_QUEUE, bus=args.bus)
    await EventPublisher(client, bus).publish(event)
    return 0, event
