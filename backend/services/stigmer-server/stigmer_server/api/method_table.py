"""Every service's method handlers in one dict, served through grpcio's generic path.

The generated ``add_<Service>Servicer_to_server`` functions also register each
method as a *registered method*. grpcio's asyncio server (1.6x-1.8x) keeps one
pending ``request_registered_call`` task per registered method and, for every
call it accepts, ``asyncio.wait``s on all of them (FIRST_COMPLETED): with this
server's ~90 methods that is ~90 done-callbacks added and removed per call, a
third of a Get's server CPU under the profiler, paid by the health check too.
Collected here instead, the methods are found with one dict lookup per call on
the generic path (one pending request task, whatever the number of methods).

Use it as the ``server`` argument of the generated functions, then
:meth:`MethodTable.install` it on the real server.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

import grpc


class MethodTable(grpc.GenericRpcHandler):  # type: ignore[misc]
    """Registration target of the generated ``add_*_to_server`` functions.

    Registered methods go into one ``"/package.Service/Method"`` dict; generic
    handlers added directly (a generator that only makes those) are asked after
    it, in the order added, so nothing registered is ever lost.
    """

    def __init__(self) -> None:
        self._methods: dict[str, grpc.RpcMethodHandler] = {}
        self._generic: list[grpc.GenericRpcHandler] = []

    def add_registered_method_handlers(
        self, service_name: str, method_handlers: Mapping[str, grpc.RpcMethodHandler]
    ) -> None:
        for method, handler in method_handlers.items():
            self._methods[f"/{service_name}/{method}"] = handler

    def add_generic_rpc_handlers(self, generic_handlers: Sequence[grpc.GenericRpcHandler]) -> None:
        self._generic.extend(generic_handlers)

    @property
    def methods(self) -> list[str]:
        """The full names of the registered methods (for tests and logs)."""
        return list(self._methods)

    def service(
        self, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler | None:
        handler = self._methods.get(handler_call_details.method)
        if handler is not None:
            return handler
        for generic in self._generic:
            handler = generic.service(handler_call_details)
            if handler is not None:
                return handler
        return None

    def as_server(self) -> grpc.aio.Server:
        """This table where the generated functions expect a server (they call
        only the two ``add_*`` methods above)."""
        return cast(grpc.aio.Server, self)

    def install(self, server: grpc.aio.Server) -> None:
        """Serve every collected method on ``server`` (before it starts)."""
        server.add_generic_rpc_handlers((self,))
