"""What "ready" means for each piece of the local stack, asked the way a client would.

A TCP connect only says that *something* listens: another program on the
Temporal port, or another process that took a port we picked, answers it too.
So each piece is asked a real question:

- Temporal: a gRPC health check and ``DescribeNamespace`` of the namespace the
  children use (the dev server's frontend accepts connections before the
  namespace is usable).
- stigmer-server, the runners: ``GET /readyz`` on their health listener (200
  once the store is open, Temporal answers and their workers poll).

Each probe returns ``None`` when ready, else the reason (shown if the deadline
passes); :class:`NotTemporal` means waiting longer cannot help.
"""

from __future__ import annotations

import asyncio
import http.client
import json
from datetime import timedelta

#: One probe's own limit; the caller retries until its deadline.
PROBE_SECONDS = 5.0


class NotTemporal(Exception):
    """Something answered at the address, and it is not a Temporal frontend."""


def _brief(error: BaseException, limit: int = 120) -> str:
    """The gist of an SDK error (its text nests the transport's whole status)."""
    text = str(error)
    if 'message: "' in text:  # tonic's Status { code: ..., message: "...", ... }
        text = text.split('message: "', 1)[1].split('"', 1)[0]
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _not_answered(error: BaseException) -> bool:
    # The SDK's connect error text (a RuntimeError) for nothing listening, or a
    # connection dropped (a server starting or stopping): worth asking again.
    text = str(error)
    return any(
        sign in text
        for sign in ("tcp connect error", "Connection refused", "Connection reset", "Broken pipe")
    )


async def _ask_temporal(address: str, namespace: str, seconds: float) -> None:
    from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
    from temporalio.client import Client

    rpc_timeout = timedelta(seconds=seconds)
    client = await Client.connect(address, namespace=namespace, connect_timeout=rpc_timeout)
    if not await client.service_client.check_health(timeout=rpc_timeout):
        raise RuntimeError("its health check says NOT_SERVING")
    await client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=namespace), timeout=rpc_timeout
    )


def temporal_answers(address: str, namespace: str, seconds: float = PROBE_SECONDS) -> str | None:
    """``None`` once ``address`` serves as a Temporal frontend with ``namespace``, else why not.

    Raises:
        NotTemporal: it answered, but not as Temporal (not gRPC, or no Temporal services).
    """
    from temporalio.service import RPCError, RPCStatusCode

    try:
        asyncio.run(asyncio.wait_for(_ask_temporal(address, namespace, seconds), seconds + 1))
    except RPCError as error:
        if error.status == RPCStatusCode.UNIMPLEMENTED:
            raise NotTemporal(
                f"it answers gRPC without Temporal's services ({_brief(error)})"
            ) from None
        if error.status == RPCStatusCode.NOT_FOUND:
            return f"namespace {namespace!r} not found"
        return f"{error.status.name if error.status else 'error'}: {_brief(error)}"
    except TimeoutError:
        return f"no answer within {seconds:.0f}s"
    except RuntimeError as error:
        if _not_answered(error) or "NOT_SERVING" in str(error):
            return _brief(error)
        # Connected, then the gRPC exchange failed (an HTTP/1 server, another protocol).
        raise NotTemporal(f"it does not speak gRPC ({_brief(error)})") from None
    return None


def readyz(address: str, service: str, seconds: float = PROBE_SECONDS) -> str | None:
    """``None`` when ``http://address/readyz`` answers 200 for ``service``, else why not.

    The body names the process: a port some other process took answers too.
    """
    host, _, port = address.rpartition(":")
    connection = http.client.HTTPConnection(host or "127.0.0.1", int(port), timeout=seconds)
    try:
        connection.request("GET", "/readyz")
        response = connection.getresponse()
        body = response.read()
    except OSError as error:
        return f"/readyz: {error.strerror or error}"
    finally:
        connection.close()
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        return f"/readyz {response.status}: not a Stigmer health endpoint"
    if answer.get("service") != service:
        return f"/readyz answered by {answer.get('service')!r}, not {service}"
    if response.status == 200:
        return None
    checks = answer.get("checks")
    failing = [name for name, ok in checks.items() if not ok] if isinstance(checks, dict) else []
    return f"/readyz {response.status}: " + (
        "failing " + ", ".join(failing) if failing else "not ready"
    )
