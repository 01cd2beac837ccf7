"""``connect``: the hook through which stigmer-server installs its Temporal orchestration.

The server calls it once, after it started serving queries (so a slow or
absent Temporal never delays reads). It returns a running :class:`Orchestration`
or, when Temporal is unreachable, :class:`TemporalUnavailable` after exactly
one warning. Payloads are sealed by the shared payload codec: the runners of
the deployment must use the same keyring (``STIGMER_PAYLOAD_KEYS`` or key file).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stigmer_common.payload_codec import encrypted_data_converter, load_keyring
from temporalio.client import Client

from stigmer_server.orchestration.connection import connect_at_boot
from stigmer_server.orchestration.runtime import Orchestration
from stigmer_server.orchestration.settings import OrchestrationSettings
from stigmer_server.orchestration.unavailable import TemporalUnavailable
from stigmer_server.orchestration.updater_status_writer import UpdaterStatusWriter

if TYPE_CHECKING:  # the server imports this module at run time; avoid the cycle
    from stigmer_server.server import ServerServices


async def connect(services: ServerServices) -> Orchestration | TemporalUnavailable:
    """Connect to Temporal and start the orchestration workers, or run without them."""
    settings = OrchestrationSettings.from_config(services.config.temporal)
    connected = await connect_at_boot(settings)
    if connected is None:
        return TemporalUnavailable()
    # Same connection, sealed payloads. The keyring is read only now, when it
    # will be used (it may generate a key file on a first local run).
    sealed = connected.config()
    sealed["data_converter"] = encrypted_data_converter(load_keyring())
    writer = UpdaterStatusWriter(
        workflow_executions=services.workflow_status,
        agent_executions=services.agent_status,
    )
    orchestration = Orchestration(Client(**sealed), settings.queues, writer)
    orchestration.start()
    return orchestration
