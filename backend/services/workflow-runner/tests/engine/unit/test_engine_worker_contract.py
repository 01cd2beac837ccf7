"""The engine and registry workers are built through their contracts' registration check."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from stigmer.engine.v1 import contract_temporal as engine_contract
from stigmer.events.v1 import contract_temporal as events_contract
from stigmer_temporal import ContractViolation
from temporalio import activity
from temporalio.converter import DataConverter
from workflow_runner.activities import names as io_names
from workflow_runner.events.publisher import BusConfig
from workflow_runner.events.registration import bus_workflows, registry_activities
from workflow_runner.wiring.worker import (
    EngineProviders,
    build_engine_worker,
    engine_activities,
    unimplemented_contracts,
)
from workflow_runner.wiring.workflow import ServerlessWorkflow


def _io(*names: str) -> list[Any]:
    def make(name: str) -> Any:
        @activity.defn(name=name)
        async def io(arg: Any) -> Any:
            return arg

        return io

    return [make(name) for name in names]


class _Status:
    async def update_status(self, report: Any) -> Any:
        return report


def test_the_engine_worker_registers_exactly_its_contract() -> None:
    bus = BusConfig(task_queue="engine")
    providers = EngineProviders(bus=bus, io_activities=_io(*io_names.ALL), status_updates=_Status())
    assert unimplemented_contracts(providers) == []
    # Hosting the registry on its own queue: both contracts, nothing left out.
    engine_contract.SERVERLESS_WORKFLOW_ENGINE.check_implementations(
        workflows=[ServerlessWorkflow, *bus_workflows()],
        activities=[*engine_activities(None, providers), *registry_activities(None, bus)],  # type: ignore[arg-type]
        also=[events_contract.EVENT_REGISTRY],
    )


def test_what_the_providers_lack_is_named_not_silently_dropped() -> None:
    providers = EngineProviders(bus=BusConfig(task_queue="registry"))
    left_out = unimplemented_contracts(providers)
    assert {c.name for c in left_out} == {
        *io_names.ALL,
        engine_contract.REPORT_WORKFLOW_PROGRESS.name,
    }
    engine_contract.SERVERLESS_WORKFLOW_ENGINE.check_implementations(
        workflows=[ServerlessWorkflow],
        activities=engine_activities(None, providers),  # type: ignore[arg-type]
        unimplemented=left_out,
    )


#: The contract check refuses before anything connects; the builder reads only
#: the client's data converter (to choose the sandbox's runner).
_NO_CLIENT = SimpleNamespace(data_converter=DataConverter.default)


def test_a_stale_or_missing_io_activity_is_refused_before_polling() -> None:
    bus = BusConfig(task_queue="registry")
    stale = _io(*io_names.ALL[:-1], "stigmer.dsl.RunScriptV0")
    with pytest.raises(
        ContractViolation,
        match=r"not in contract: \['stigmer.dsl.RunScriptV0'\]; "
        r"not implemented: \['stigmer.dsl.RunScript'\]",
    ):
        build_engine_worker(
            _NO_CLIENT,  # type: ignore[arg-type]
            task_queue="engine",
            providers=EngineProviders(bus=bus, io_activities=stale),
        )
    with pytest.raises(ContractViolation, match=r"not implemented: \['stigmer.dsl.CallHttp'\]"):
        build_engine_worker(
            _NO_CLIENT,  # type: ignore[arg-type]
            task_queue="engine",
            providers=EngineProviders(bus=bus, io_activities=_io(*io_names.ALL[1:])),
        )
