"""The generated contract is *checked*: names come from the proto, renames break early."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable
from datetime import timedelta
from types import ModuleType
from typing import Any

import pytest
from stigmer_common.temporal_dev_server import start_dev_server
from stigmer_temporal import ContractViolation, TaskQueue
from temporalio import activity, workflow
from temporalio.client import Client


def test_constants_carry_the_proto_options(
    load_contract: Callable[[str], ModuleType], demo_proto: str
) -> None:
    demo = load_contract(demo_proto)
    assert demo.PING.name == "Ping"
    assert demo.PING.start_to_close_timeout == timedelta(seconds=30)
    assert demo.PING.retry_policy.maximum_attempts == 2
    assert demo.PING.input_type.DESCRIPTOR.full_name == "stigmer.demo.v1.PingInput"
    assert demo.RUN_DEMO.name == "demo/run"
    assert demo.RUN_DEMO.execution_timeout == timedelta(seconds=60)
    assert demo.DEMO_RUNNER_QUEUE == TaskQueue("demo_runner", "DEMO_RUNNER_TASK_QUEUE")
    assert demo.DEMO_RUNNER.activities == (demo.PING,)
    assert demo.DEMO_ORCHESTRATION.workflows == (demo.RUN_DEMO,)


async def test_signals_carry_the_proto_options(
    load_contract: Callable[[str], ModuleType], demo_proto: str
) -> None:
    demo = load_contract(demo_proto)
    assert demo.POKE.name == "demo/poke"
    assert demo.POKE.workflow is demo.RUN_DEMO
    assert demo.POKE.input_type.DESCRIPTOR.full_name == "stigmer.demo.v1.PingInput"
    assert demo.DEMO_ORCHESTRATION.signals == (demo.POKE,)
    assert demo.DEMO_ORCHESTRATION.workflows == (demo.RUN_DEMO,)  # a signal is no workflow
    with pytest.raises(
        ContractViolation, match=r"signal demo/poke takes stigmer\.demo\.v1\.PingInput"
    ):
        await demo.POKE.send(None, "demo/run/x", demo.RUN_DEMO.output_type())


def test_signal_of_an_unknown_workflow_is_refused(
    load_contract: Callable[[str], ModuleType], demo_proto: str
) -> None:
    broken = demo_proto.replace('workflow: "RunDemo"', 'workflow: "Nope"').replace(
        "package stigmer.demo.v1;", "package stigmer.demobroken.v1;"
    )
    with pytest.raises(subprocess.CalledProcessError) as failed:
        load_contract(broken)
    assert b"not a workflow of this service" in failed.value.stderr


def test_env_overrides_queue_and_id_template_renders(
    load_contract: Callable[[str], ModuleType], demo_proto: str
) -> None:
    demo = load_contract(demo_proto)
    assert demo.DEMO_RUNNER_QUEUE.resolve({}) == "demo_runner"
    assert demo.DEMO_RUNNER_QUEUE.resolve({"DEMO_RUNNER_TASK_QUEUE": "blue"}) == "blue"
    assert demo.RUN_DEMO.workflow_id(demo.RUN_DEMO.input_type(id="wex-1")) == "demo/run/wex-1"
    with pytest.raises(ContractViolation, match="id field id is empty"):
        demo.RUN_DEMO.workflow_id(demo.RUN_DEMO.input_type())


def test_renamed_activity_breaks_old_call_sites_and_workers(
    load_contract: Callable[[str], ModuleType], demo_proto: str
) -> None:
    before = load_contract(demo_proto)

    # An implementation written against the contract as it was.
    @before.PING.defn
    async def ping(arg: Any) -> Any:
        return arg

    @activity.defn(name="Ping")  # a hand-written name: exactly what contracts prevent
    async def stale_ping(arg: Any) -> Any:
        return arg

    renamed_proto = (
        demo_proto.replace('name: "Ping"', 'name: "PingV2"')
        .replace("rpc Ping(", "rpc PingV2(")
        .replace("package stigmer.demo.v1;", "package stigmer.demo.v2;")
    )
    renamed = load_contract(renamed_proto)
    # Import time: a call site importing the old constant fails.
    assert not hasattr(renamed, "PING")
    with pytest.raises(ImportError, match="PING"):
        exec(f"from {renamed.__name__} import PING", {})
    assert renamed.PING_V2.name == "PingV2"
    # Registration time: both stale implementations are refused before polling.
    for impl in (ping, stale_ping):
        with pytest.raises(
            ContractViolation, match=r"not in contract: \['Ping'\].*not implemented: \['PingV2'\]"
        ):
            renamed.DEMO_RUNNER.check_implementations(activities=[impl])


def test_foreign_or_missing_implementations_are_refused(
    load_contract: Callable[[str], ModuleType], demo_proto: str
) -> None:
    demo = load_contract(demo_proto)
    with pytest.raises(ContractViolation, match=r"not implemented: \['Ping'\]"):
        demo.DEMO_RUNNER.check_implementations(activities=[])

    @activity.defn(name="SomethingElse")
    async def other(arg: Any) -> Any:
        return arg

    @demo.PING.defn
    async def ping(arg: Any) -> Any:
        return arg

    with pytest.raises(ContractViolation, match=r"not in contract: \['SomethingElse'\]"):
        demo.DEMO_RUNNER.check_implementations(activities=[ping, other])


@pytest.mark.integration
async def test_worker_from_generated_registration_runs_the_contract(
    load_contract: Callable[[str], ModuleType], demo_proto: str
) -> None:
    demo = load_contract(demo_proto)

    _DEMO["module"] = demo

    @demo.PING.defn
    async def ping(arg: Any) -> Any:
        return demo.PING.output_type(reply=f"pong {arg.id}")

    run_demo = demo.RUN_DEMO.defn(RunDemo)

    env = await start_dev_server()
    try:
        client: Client = env.client
        suffix = uuid.uuid4().hex
        runner_queue, orchestration_queue = f"runner-{suffix}", f"orch-{suffix}"
        runner = demo.DEMO_RUNNER.worker(client, activities=[ping], task_queue=runner_queue)
        orchestration = demo.DEMO_ORCHESTRATION.worker(
            client,
            workflows=[run_demo],
            task_queue=orchestration_queue,
            workflow_runner=_unsandboxed(),
        )
        # What the workers registered is exactly the contract's names.
        assert [a.__temporal_activity_definition.name for a in [ping]] == [demo.PING.name]  # type: ignore[attr-defined]
        async with runner, orchestration:
            handle = await demo.RUN_DEMO.start(
                client,
                demo.RUN_DEMO.input_type(id=suffix),
                task_queue=orchestration_queue,
                memo={"runner_queue": runner_queue},
            )
            assert handle.id == f"demo/run/{suffix}"
            result = await handle.result()
        assert result == demo.RUN_DEMO.output_type(reply=f"pong {suffix}")
        description = await handle.describe()
        assert description.workflow_type == "demo/run"
    finally:
        await env.shutdown()


_DEMO: dict[str, ModuleType] = {}


class RunDemo:
    """Calls the activity through the typed helper on the queue its memo names.

    Registered by the test through ``RUN_DEMO.defn`` (the contract module only
    exists at test time); workflows must be module-level classes.
    """

    @workflow.run
    async def run(self, arg: Any) -> Any:
        demo = _DEMO["module"]
        queue = workflow.memo_value("runner_queue", type_hint=str)
        return await demo.PING.execute(arg, task_queue=queue)


def _unsandboxed() -> Any:
    # The demo module is generated into a temp dir at test time; the sandbox would
    # re-import it from scratch, which is exactly what the test does not exercise.
    from temporalio.worker import UnsandboxedWorkflowRunner

    return UnsandboxedWorkflowRunner()
