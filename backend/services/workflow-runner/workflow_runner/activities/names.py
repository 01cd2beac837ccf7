"""Temporal activity names of the DSL engine's I/O tasks, from the engine contract.

Declared in ``apis/stigmer/engine/v1/contract.proto``; the engine calls these
activities by name and the worker registers them under the same names, so a
rename in the proto reaches both sides (and the worker's registration check).
"""

from __future__ import annotations

from typing import Final

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    # Generated modules must not be re-imported per run inside the sandbox.
    from stigmer.engine.v1 import contract_temporal as engine_contract

CALL_HTTP: Final = engine_contract.CALL_HTTP.name
CALL_GRPC: Final = engine_contract.CALL_GRPC.name
CALL_OPENAPI: Final = engine_contract.CALL_OPEN_API.name
RUN_SHELL: Final = engine_contract.RUN_SHELL.name
RUN_SCRIPT: Final = engine_contract.RUN_SCRIPT.name

#: The contracts of the I/O activities, as a worker registers them.
CONTRACTS: Final = (
    engine_contract.CALL_HTTP,
    engine_contract.CALL_GRPC,
    engine_contract.CALL_OPEN_API,
    engine_contract.RUN_SHELL,
    engine_contract.RUN_SCRIPT,
)

ALL: Final = tuple(contract.name for contract in CONTRACTS)
