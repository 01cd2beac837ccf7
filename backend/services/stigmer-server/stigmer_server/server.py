"""Assembling and running the server: store, API, health, reflection, orchestration.

Shutdown order (issue #3): stop accepting RPCs (in-flight ones get a grace
period, open subscriptions are ended) -> stop the orchestration worker -> close
the Temporal client -> close RocksDB (which also releases the directory lock).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from stigmer_common.payload_codec import load_keyring
from stigmer_common.secret_redaction import protection_enabled
from stigmer_common.secret_seal import SecretSealer
from temporalio.client import Client
from temporalio.worker import Worker

from stigmer_server import kinds
from stigmer_server.api import (
    agent,
    agentexecution,
    agentinstance,
    environment,
    executioncontext,
    executionsecrets,
    mcpserver,
    session,
    skill,
    workflow,
    workflowexecution,
    workflowinstance,
)
from stigmer_server.api.call_interceptor import CallInterceptor
from stigmer_server.api.method_table import MethodTable
from stigmer_server.auth import KeyStore
from stigmer_server.auth.identity import every_org_admins
from stigmer_server.config import ServerConfig
from stigmer_server.dependencies import Dependencies
from stigmer_server.execution.starter import NoOrchestration, Orchestration
from stigmer_server.execution.status_updater import ExecutionStatusUpdater
from stigmer_server.repository import Repository
from stigmer_server.secrets.execution_grants import ExecutionGrants
from stigmer_server.secrets.rotation import reseal_stored_secrets
from stigmer_server.store import ResourceStore

_log = logging.getLogger(__name__)


class CannotListen(OSError):
    """The gRPC address cannot be bound (in use, or not an address of this host)."""


@dataclass(frozen=True)
class ServerServices:
    """What an orchestration integration gets to work with (e.g. its local
    status-update activities call the updaters in-process)."""

    config: ServerConfig
    deps: Dependencies
    workflow_status: ExecutionStatusUpdater
    agent_status: ExecutionStatusUpdater


OrchestrationFactory = Callable[[ServerServices], Awaitable[Orchestration]]

# The Temporal integration (client, worker, orchestration workflows) lives in
# this module when present; it exposes ``async def connect(services) -> Orchestration``.
# (A submodule: the package __init__ stays empty for Temporal's workflow sandbox.)
ORCHESTRATION_MODULE = "stigmer_server.orchestration.boot"


def installed_orchestration() -> OrchestrationFactory | None:
    """The ``connect`` of the orchestration module, if this build has one."""
    try:
        module = importlib.import_module(ORCHESTRATION_MODULE)
    except ModuleNotFoundError as error:
        # Only "the integration is not in this build" is fine; a missing
        # dependency inside it is a real error.
        if error.name is None or not ORCHESTRATION_MODULE.startswith(error.name):
            raise
        return None
    connect: OrchestrationFactory | None = getattr(module, "connect", None)
    if connect is None:
        _log.warning(
            "%s has no connect(services); executions will stay PENDING", ORCHESTRATION_MODULE
        )
    return connect


def service_names() -> list[str]:
    """Full names of every command and query service (for health and reflection).

    Read from the service descriptors; importing ``command_pb2``/``query_pb2`` also
    registers the services' files in the default descriptor pool, which is where
    reflection looks (the ``_pb2_grpc`` modules alone do not import them).
    """
    names: list[str] = []
    for kind in kinds.ALL_KINDS:
        package = kind.resource_type.DESCRIPTOR.file.package
        for module_name in ("command_pb2", "query_pb2"):
            module = importlib.import_module(f"{package}.{module_name}")
            names += [s.full_name for s in module.DESCRIPTOR.services_by_name.values()]
    return names


class StigmerServer:
    """One server process's worth of state, from :meth:`start` to :meth:`stop`."""

    def __init__(
        self,
        config: ServerConfig,
        *,
        orchestration_factory: OrchestrationFactory | None = None,
    ) -> None:
        self.config = config
        self._orchestration_factory = orchestration_factory
        self._store = ResourceStore(config.data_dir)
        self._server: grpc.aio.Server | None = None
        self._orchestration: Orchestration = NoOrchestration("not connected yet")
        self._health = health.aio.HealthServicer()
        self.port = 0
        self.deps: Dependencies | None = None
        self.services: ServerServices | None = None

    async def start(self) -> None:
        """Opens the store, starts serving, then installs the orchestrator (which
        connects to Temporal in the background, so this never waits for it).

        Raises:
            DataDirectoryInUse: Another process owns the data directory.
        """
        self._store.open()
        try:
            sealer = await self._open_secrets()
            await self._start_serving(sealer)
        except BaseException:
            self._store.close()
            raise
        await self._connect_orchestration()

    async def _open_secrets(self) -> SecretSealer | None:
        """The sealer of stored secrets (None: protection switched off), every
        stored secret re-encrypted under the ring's current key first."""
        if not protection_enabled():
            _log.warning(
                "STIGMER_SECRET_PROTECTION=off: secrets are stored and shown in clear",
                extra={"event": "secret_protection_off"},
            )
            return None
        sealer = SecretSealer(load_keyring())
        await reseal_stored_secrets(Repository(self._store), sealer, self._store.compact)
        return sealer

    async def _start_serving(self, sealer: SecretSealer | None) -> None:
        config = self.config
        deps = Dependencies(
            repository=Repository(self._store),
            starter=NoOrchestration("connecting").starter,
            sealer=sealer,
            grants=ExecutionGrants.in_data_dir(config.data_dir, every_org_admins(config.api_keys)),
        )
        workflow_status = workflowexecution.status_updater(deps)
        agent_status = agentexecution.status_updater(deps)
        self.deps = deps
        self.services = ServerServices(config, deps, workflow_status, agent_status)
        # One interceptor: metrics, then the caller's identity (always: without
        # keys it binds the local admin), then request decoding (see call_interceptor).
        keys = KeyStore(config.api_keys) if config.auth_enabled else None
        server = grpc.aio.server(
            interceptors=[CallInterceptor(keys)],
            options=[
                ("grpc.max_receive_message_length", config.max_message_bytes),
                ("grpc.max_send_message_length", config.max_message_bytes),
                ("grpc.so_reuseport", 0),
            ],
        )
        # Every service in one table on grpcio's generic path (see method_table).
        table = MethodTable()
        for module in (
            workflow,
            workflowinstance,
            agent,
            agentinstance,
            session,
            environment,
            executioncontext,
            executionsecrets,
            skill,
            mcpserver,
        ):
            module.register(table, deps)
        workflowexecution.register(table, deps, workflow_status)
        agentexecution.register(table, deps, agent_status)
        health_pb2_grpc.add_HealthServicer_to_server(self._health, table.as_server())
        table.install(server)
        names = service_names()
        reflection.enable_server_reflection(
            [
                *names,
                health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                reflection.SERVICE_NAME,
            ],
            server,
        )
        try:
            if config.tls is None:
                port = server.add_insecure_port(config.grpc_address)
            else:
                chain, private_key = config.tls.read()
                port = server.add_secure_port(
                    config.grpc_address, grpc.ssl_server_credentials([(private_key, chain)])
                )
        except RuntimeError:  # grpc raises instead of returning 0 when the bind fails
            port = 0
        if port == 0:
            raise CannotListen(
                f"STIGMER_GRPC_ADDRESS={config.grpc_address}: cannot listen there "
                "(port in use by another server, or not a local address)"
            )
        await server.start()
        self._server = server
        self.port = port
        for name in ["", *names]:
            await self._health.set(name, health_pb2.HealthCheckResponse.SERVING)
        _log.info(
            "stigmer-server listening",
            extra={
                "event": "listening",
                "address": self.address,
                "data_dir": str(config.data_dir),
                "auth": "api-keys" if config.auth_enabled else "off",
                "tls": config.tls is not None,
            },
        )
        if config.auth_enabled:
            _log.info(
                "API keys: %d configured; every call needs one",
                len(config.api_keys),
                extra={"event": "auth", "keys": len(config.api_keys)},
            )
        else:
            _log.warning(
                "no API keys configured (zero-config mode): every caller is the local admin "
                "of every org; set STIGMER_API_KEYS or STIGMER_API_KEYS_FILE to require keys",
                extra={"event": "auth", "keys": 0},
            )

    def store_open(self) -> bool:
        """Readiness: the RocksDB store is open."""
        return self._store.is_open

    def temporal_client(self) -> Client | None:
        """The connected Temporal client, None while not connected (readiness probes it)."""
        return getattr(self._orchestration, "client", None)

    def orchestration_workers(self) -> list[Worker]:
        """The orchestration workers polling now (none while not connected)."""
        workers: list[Worker] = getattr(self._orchestration, "workers", [])
        return workers

    @property
    def address(self) -> str:
        host = self.config.grpc_address.rsplit(":", 1)[0]
        return f"{host}:{self.port}"

    async def _connect_orchestration(self) -> None:
        assert self.deps is not None and self.services is not None
        factory = self._orchestration_factory
        if factory is None:
            self._orchestration = NoOrchestration(
                "this build has no orchestration module; executions are stored but not run"
            )
        else:
            try:
                self._orchestration = await factory(self.services)
            except Exception as error:
                # Queries must keep working without Temporal: one clear line, no crash.
                self._orchestration = NoOrchestration(
                    f"cannot reach Temporal at {self.config.temporal.host_port}: {error}"
                )
        self.deps.starter = self._orchestration.starter
        self.deps.run_control = self._orchestration.run_control

    async def wait_for_termination(self) -> None:
        if self._server is not None:
            await self._server.wait_for_termination()

    async def stop(self) -> None:
        """Graceful shutdown in the documented order; safe to call twice."""
        if self._server is not None:
            _log.info("stopping: RPCs", extra={"event": "stopping"})
            await self._health.enter_graceful_shutdown()
            if self.deps is not None:
                self.deps.change_feed.close()
            await self._server.stop(self.config.shutdown_grace_seconds)
            self._server = None
        _log.info("stopping: orchestration worker", extra={"event": "stopping"})
        await self._orchestration.stop_worker()
        _log.info("stopping: orchestration client", extra={"event": "stopping"})
        await self._orchestration.close_client()
        _log.info("stopping: store", extra={"event": "stopping"})
        self._store.close()
        _log.info("stopped", extra={"event": "stopped"})
