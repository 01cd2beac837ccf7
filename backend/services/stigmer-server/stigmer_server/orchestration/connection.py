"""Connect to Temporal at boot, or decide to run without it.

stigmer-server must serve every query even when Temporal is down, so boot
tries once with a short timeout; on failure it logs ONE warning naming the
address and the consequence, and the server keeps its no-op starter (new
executions stay PENDING).
"""

from __future__ import annotations

import asyncio
import logging

import temporalio.converter
from temporalio.client import Client
from temporalio.converter import DataConverter

from stigmer_server.orchestration.settings import OrchestrationSettings

_log = logging.getLogger(__name__)


async def connect_at_boot(
    settings: OrchestrationSettings, *, data_converter: DataConverter | None = None
) -> Client | None:
    """A connected client, or None (after one warning) if Temporal cannot be reached.

    Args:
        settings: Address, namespace and the boot connect timeout.
        data_converter: The client's converter (default: the SDK's). The server
            connects with the default and seals payloads afterwards (see ``boot``),
            so no keyring is read when Temporal is not there to use it.
    """
    timeout = settings.connect_timeout.total_seconds()
    try:
        return await asyncio.wait_for(
            Client.connect(
                settings.host_port,
                namespace=settings.namespace,
                data_converter=data_converter or temporalio.converter.default(),
                connect_timeout=settings.connect_timeout,
            ),
            timeout=timeout,
        )
    except Exception as error:
        reason = "timed out" if isinstance(error, asyncio.TimeoutError) else str(error)
        _log.warning(
            "Temporal unreachable at %s (namespace %s): %s; serving queries without "
            "orchestration, new executions stay PENDING until a restart with Temporal up",
            settings.host_port,
            settings.namespace,
            reason or type(error).__name__,
        )
        return None
