"""One attempt to connect to Temporal, bounded by a short timeout.

stigmer-server must serve every query even when Temporal is down, so it never
waits for Temporal: the background reconnect (see ``reconnecting``) calls
:func:`connect_at_boot` until it succeeds. The first failure logs ONE warning
naming the address and the consequence (new executions stay PENDING until
Temporal is reachable); the retries after it stay quiet.
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
    settings: OrchestrationSettings,
    *,
    data_converter: DataConverter | None = None,
    warn: bool = True,
) -> Client | None:
    """A connected client, or None (after one warning) if Temporal cannot be reached.

    Args:
        settings: Address, namespace and the boot connect timeout.
        data_converter: The client's converter (default: the SDK's). The server
            connects with the default and seals payloads afterwards (see ``boot``),
            so no keyring is read when Temporal is not there to use it.
        warn: Log the failure as a warning (the first attempt) or at debug
            level (the background retries after it).
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
        _log.log(
            logging.WARNING if warn else logging.DEBUG,
            "Temporal unreachable at %s (namespace %s): %s; serving queries without "
            "orchestration and reconnecting in the background; new executions stay "
            "PENDING until Temporal is reachable",
            settings.host_port,
            settings.namespace,
            reason or type(error).__name__,
        )
        return None
