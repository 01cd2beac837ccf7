"""Temporal activity names of the DSL engine's I/O tasks, in one place.

The engine calls these activities by name and the worker registers them under the
same names; keeping both sides on these constants means a rename cannot leave one
side behind. They move to the generated Temporal contract (``apis/``) later.
"""

from __future__ import annotations

from typing import Final

CALL_HTTP: Final = "stigmer.dsl.CallHttp"
CALL_GRPC: Final = "stigmer.dsl.CallGrpc"
CALL_OPENAPI: Final = "stigmer.dsl.CallOpenApi"
RUN_SHELL: Final = "stigmer.dsl.RunShell"
RUN_SCRIPT: Final = "stigmer.dsl.RunScript"

ALL: Final = (CALL_HTTP, CALL_GRPC, CALL_OPENAPI, RUN_SHELL, RUN_SCRIPT)
