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
from stigmer_temporal import ContractViolation, JsonPayload, TaskQueue
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
    assert demo.DEMO_ORCHESTRATION.signals == (demo.POKE, demo.NOTE)
    assert demo.DEMO_ORCHESTRATION.workflows == (demo.RUN_DEMO,)  # a signal is no workflow
    with pytest.raises(
        ContractViolation, match=r"signal demo/poke takes stigmer\.demo\.v1\.PingInput"
    ):
        await demo.POKE.send(None, "demo/run/x", demo.RUN_DEMO.output_type())


async def test_queries_memo_and_header_keys_error_types_and_json_payloads(
    load_contract: Callable[[str], ModuleType], demo_proto: str
) -> None:
    demo = load_contract(demo_proto)
    assert demo.PEEK.name == "demo/peek"
    assert demo.PEEK.workflow is demo.RUN_DEMO
    assert demo.PEEK.output_type is JsonPayload
    assert demo.DEMO_ORCHESTRATION.queries == (demo.PEEK,)
    assert demo.RUNNER_QUEUE_MEMO == "runner_queue"
    assert demo.DEMO_REFUSED_ERROR == "DemoRefused"
    assert demo.TRACE_HEADER == "demo-trace"
    # A JSON signal takes any value: no message type to check (a client of None
    # gets as far as the call, past the type check).
    assert demo.NOTE.input_type is JsonPayload
    with pytest.raises(AttributeError):
        await demo.NOTE.send(None, "demo/run/x", {"any": ["json"]})


def test_query_of_an_unknown_workflow_is_refused(
    load_contract: Callable[[str], ModuleType], demo_proto: str
) -> None:
    broken = demo_proto.replace(
        'name: "demo/peek" workflow: "RunDemo"', 'name: "demo/peek" workflow: "Nope"'
    ).replace("package stigmer.demo.v1;", "package stigmer.demoquery.v1;")
    with pytest.raises(subprocess.CalledProcessError) as failed:
        load_contract(broken)
    assert b"query 'demo/peek' names 'Nope'" in failed.value.stderr


def test_a_constant_not_in_upper_snake_case_is_refused(
    load_contract: Callable[[str], ModuleType], demo_proto: str
) -> None:
    lowercase = demo_proto.replace('constant: "DEMO_REFUSED"', 'constant: "refused"').replace(
        "package stigmer.demo.v1;", "package stigmer.democonst.v1;"
    )
    with pytest.raises(subprocess.CalledProcessError) as failed:
        load_contract(lowercase)
    assert b"needs an UPPER_SNAKE constant" in failed.value.stderr


def test_signal_and_query_handlers_must_match_the_contract(
    load_contract: Callable[[str], ModuleType], demo_proto: str
) -> None:
    demo = load_contract(demo_proto)
    complete = _run_demo(demo)
    demo.DEMO_ORCHESTRATION.check_implementations(workflows=[complete])

    with pytest.raises(
        ContractViolation,
        match=r"signal handlers of demo/run.*not implemented: \['demo/note', 'demo/poke'\]",
    ):
        demo.DEMO_ORCHESTRATION.check_implementations(workflows=[demo.RUN_DEMO.defn(NoHandlers)])
    with pytest.raises(ContractViolation, match=r"not in contract: \['demo/poke-v0'\]"):
        demo.DEMO_ORCHESTRATION.check_implementations(workflows=[demo.RUN_DEMO.defn(StaleSignal)])


def test_other_services_join_and_unimplemented_ones_are_named(
    load_contract: Callable[[str], ModuleType], demo_proto: str
) -> None:
    demo = load_contract(demo_proto)
    run_demo = _run_demo(demo)

    @demo.PING.defn
    async def ping(arg: Any) -> Any:
        return arg

    # One worker serving both services on one queue.
    demo.DEMO_ORCHESTRATION.check_implementations(
        workflows=[run_demo], activities=[ping], also=[demo.DEMO_RUNNER]
    )
    # Without the activity only when the contract says so, by name.
    with pytest.raises(ContractViolation, match=r"not implemented: \['Ping'\]"):
        demo.DEMO_ORCHESTRATION.check_implementations(workflows=[run_demo], also=[demo.DEMO_RUNNER])
    demo.DEMO_ORCHESTRATION.check_implementations(
        workflows=[run_demo], also=[demo.DEMO_RUNNER], unimplemented=[demo.PING]
    )
    # Leaving out something that is not this worker's contract is refused too.
    with pytest.raises(ContractViolation, match=r"unimplemented names not in the contract"):
        demo.DEMO_ORCHESTRATION.check_implementations(
            workflows=[run_demo], unimplemented=[demo.PING]
        )


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

    run_demo = _run_demo(demo)

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
                memo={demo.RUNNER_QUEUE_MEMO: runner_queue},
            )
            assert handle.id == f"demo/run/{suffix}"
            result = await handle.result()
            assert await demo.PEEK.query(client, handle.id) == []
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

    def __init__(self) -> None:
        self._notes: list[Any] = []

    @workflow.run
    async def run(self, arg: Any) -> Any:
        demo = _DEMO["module"]
        queue = workflow.memo_value(demo.RUNNER_QUEUE_MEMO, type_hint=str)
        return await demo.PING.execute(arg, task_queue=queue)

    # Handlers by the contract's names (the module exists only at test time).
    @workflow.signal(name="demo/poke")
    def poke(self, arg: Any) -> None:
        pass

    @workflow.signal(name="demo/note")
    def note(self, arg: Any) -> None:
        self._notes.append(arg)

    @workflow.query(name="demo/peek")
    def peek(self) -> list[Any]:
        return self._notes


def _run_demo(demo: ModuleType) -> type:
    """RunDemo registered under the contract's name (once: a class takes one definition)."""
    if workflow._Definition.from_class(RunDemo) is None:
        demo.RUN_DEMO.defn(RunDemo)
    return RunDemo


class NoHandlers:
    """The demo workflow without the contract's signal and query handlers."""

    @workflow.run
    async def run(self, arg: Any) -> Any:
        return arg


class StaleSignal(RunDemo):
    """The demo workflow plus a signal handler under a name the contract lacks."""

    @workflow.run
    async def run(self, arg: Any) -> Any:
        return arg

    @workflow.signal(name="demo/poke-v0")
    def stale(self, arg: Any) -> None:
        pass


def _unsandboxed() -> Any:
    # The demo module is generated into a temp dir at test time; the sandbox would
    # re-import it from scratch, which is exactly what the test does not exercise.
    from temporalio.worker import UnsandboxedWorkflowRunner

    return UnsandboxedWorkflowRunner()
