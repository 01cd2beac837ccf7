"""The fault matrix: executions under kill -9 of each platform process, with real processes.

A round creates executions at a steady pace (workflows mixing ``set``, a short
``wait`` and a ``call: http`` to a loopback sink that counts requests per
execution), kills one process with SIGKILL at a random moment (seeded), keeps
it down for a random moment and restarts it. Then every execution whose Create
answered OK must reach COMPLETED with the right output, and every execution
the server stored must end, within the recovery limit counted from the
restart. Kinds of kill:

* ``runner``: the workflow runner (bridge and engine worker);
* ``server``: stigmer-server (RocksDB and gRPC address kept);
* ``temporal``: the Temporal dev server (``--db-filename``, same ports);
* ``supervisor``: the whole ``stigmer server`` (its children die with it),
  restarted on the same data dir.

The first three run on processes this harness starts itself (fixed ports, so a
restarted process is found where the old one was); the supervisor rounds run on
``stigmer server`` over the same data dir layout (``db/``, ``temporal.db``),
which the harness switches to before the first of them.

A duplicate HTTP side effect is a request for an execution's key seen again.
Each must follow a kill that happened after the previous request for that key
(the killed activity was retried); at most one duplicate per kill per key.

Run from the virtualenv (import roots as in pyproject.toml)::

    PYTHONPATH=gen/python:backend/libs/python:backend/services/stigmer-server:\
backend/services/workflow-runner:cli:tools/faults \\
      .venv/bin/python tools/faults/fault_matrix.py --rounds 12 --executions 300

or ``bazel run //tools/faults:fault_matrix -- --seed 7``. Prints a JSON report.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from fault_sink import SINK_DELAY_SECONDS, Sink
from fault_stack import Stack
from google.protobuf import json_format
from stigmer.commons.v1 import io_pb2, phase_pb2
from stigmer.workflow.v1 import api_pb2 as workflow_api
from stigmer.workflow.v1 import command_pb2_grpc as workflow_command
from stigmer.workflowexecution.v1 import api_pb2 as execution_api
from stigmer.workflowexecution.v1 import command_pb2_grpc as execution_command
from stigmer.workflowexecution.v1 import query_pb2_grpc as execution_query
from stigmer_client.channel import FAST_RECONNECT_OPTIONS
from stigmer_dsl.converter import workflow_from_dsl

KINDS = ("runner", "server", "temporal", "supervisor")
TERMINAL = (phase_pb2.COMPLETED, phase_pb2.FAILED, phase_pb2.CANCELLED)


# -- workflows ----------------------------------------------------------------------------------


def workflow_documents(sink_base: str) -> list[dict[str, Any]]:
    """Three shapes: wait then call, call then wait, a longer wait then call."""

    def doc(name: str, middle: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "document": {"dsl": "1.0.0", "namespace": "faults", "name": name, "version": "1.0.0"},
            "do": [
                {"init": {"set": {"key": "${ .key }", "n": "${ .n }"}}},
                *middle,
                {"done": {"set": {"key": "${ .key }", "twice": "${ .n * 2 }", "done": True}}},
            ],
        }

    def wait(seconds: int) -> dict[str, Any]:
        return {f"pause{seconds}": {"wait": {"seconds": seconds}}}

    hit = {
        "hit": {
            "call": "http",
            "with": {
                "method": "get",
                "endpoint": f"{sink_base}/hit",
                "query": {"key": "${ .key }", "n": "${ .n | tostring }"},
            },
        }
    }
    return [
        doc("wait-then-call", [wait(1), hit]),
        doc("call-then-wait", [hit, wait(2)]),
        doc("long-wait-then-call", [wait(3), hit]),
    ]


def expected_output(key: str, n: int) -> dict[str, Any]:
    return {"key": key, "twice": 2 * n, "done": True}


# -- rounds -------------------------------------------------------------------------------------


@dataclass
class Created:
    key: str
    n: int
    round: int
    execution_id: str = ""  # empty: Create did not answer OK
    error: str = ""


@dataclass
class RoundReport:
    round: int
    kind: str
    kill_at: float  # seconds after the round started
    down_for: float
    http_open_at_kill: int = 0  # sink requests unanswered when the kill landed
    created_ok: int = 0
    create_failed: int = 0
    recovery_seconds: float = -1.0  # restart issued -> all of the round's executions ended
    restart_seconds: float = 0.0  # restart issued -> process ready


@dataclass
class MatrixReport:
    seed: int
    rounds: list[RoundReport] = field(default_factory=list)
    executions_created: int = 0
    executions_completed: int = 0
    create_failures: int = 0
    stored_not_acknowledged: int = 0
    kills: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    unexplained_duplicates: list[str] = field(default_factory=list)
    missing_requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        recoveries = [r.recovery_seconds for r in self.rounds if r.recovery_seconds >= 0]
        by_kind: dict[str, list[float]] = {}
        for r in self.rounds:
            if r.recovery_seconds >= 0:
                by_kind.setdefault(r.kind, []).append(round(r.recovery_seconds, 1))
        return {
            "seed": self.seed,
            "executions_created": self.executions_created,
            "executions_completed": self.executions_completed,
            "create_failures": self.create_failures,
            "stored_not_acknowledged": self.stored_not_acknowledged,
            "kills": self.kills,
            "recovery_seconds_by_kind": by_kind,
            "recovery_seconds_max": round(max(recoveries), 1) if recoveries else None,
            "duplicate_http_requests": self.duplicates,
            "unexplained_duplicates": self.unexplained_duplicates,
            "problems": self.problems,
            "wall_seconds": round(self.wall_seconds, 1),
            "rounds": [
                {
                    "round": r.round,
                    "kind": r.kind,
                    "kill_at": round(r.kill_at, 2),
                    "down_for": round(r.down_for, 2),
                    "http_open_at_kill": r.http_open_at_kill,
                    "created_ok": r.created_ok,
                    "create_failed": r.create_failed,
                    "restart_seconds": round(r.restart_seconds, 1),
                    "recovery_seconds": round(r.recovery_seconds, 1),
                }
                for r in self.rounds
            ],
        }


class FaultMatrix:
    """Runs the rounds on one stack and checks every execution."""

    def __init__(
        self,
        work: Path,
        *,
        seed: int,
        executions: int,
        recovery_limit: float = 60.0,
        create_gap: float = 0.25,
        sink_delay: float = SINK_DELAY_SECONDS,
        aim_at_http: Sequence[str] = (),
        max_down: float = 2.5,
        log: Callable[[str], None] = print,
    ) -> None:
        self.stack = Stack(work)
        self.sink = Sink(sink_delay)
        self.rng = random.Random(seed)
        self.report = MatrixReport(seed=seed)
        self.executions = executions
        self.aim_at_http = frozenset(aim_at_http)
        self.max_down = max_down
        self.recovery_limit = recovery_limit
        self.create_gap = create_gap
        self.log = log
        self.created: list[Created] = []
        # (signal sent, processes gone, kind) of every kill, in time.monotonic().
        self.kills: list[tuple[float, float, str]] = []
        self._workflow_ids: list[str] = []
        self._channel: grpc.aio.Channel | None = None

    # plumbing
    def _stubs(self) -> tuple[Any, Any, Any]:
        if self._channel is None:
            self._channel = grpc.aio.insecure_channel(
                self.stack.server_address, options=FAST_RECONNECT_OPTIONS
            )
        return (
            workflow_command.WorkflowCommandControllerStub(self._channel),
            execution_command.WorkflowExecutionCommandControllerStub(self._channel),
            execution_query.WorkflowExecutionQueryControllerStub(self._channel),
        )

    async def _apply_workflows(self) -> None:
        workflows, _, _ = self._stubs()
        for document in workflow_documents(self.sink.base):
            workflow, _ = workflow_from_dsl(document)
            applied: workflow_api.Workflow = await workflows.Apply(workflow, timeout=30)
            self._workflow_ids.append(applied.metadata.id)

    async def _create(self, item: Created) -> None:
        _, commands, _ = self._stubs()
        execution = execution_api.WorkflowExecution(
            api_version="stigmer.ai/v1", kind="WorkflowExecution"
        )
        execution.metadata.name = f"fault-{item.key}"
        execution.spec.workflow_id = self._workflow_ids[item.n % len(self._workflow_ids)]
        execution.spec.input.update({"key": item.key, "n": item.n})
        try:
            created = await commands.Create(execution, timeout=10)
        except grpc.aio.AioRpcError as error:
            item.error = f"{error.code().name}: {error.details()}"
            return
        item.execution_id = created.metadata.id

    async def _list_all(self) -> list[execution_api.WorkflowExecution] | None:
        _, _, queries = self._stubs()
        items: list[execution_api.WorkflowExecution] = []
        token = ""
        try:
            while True:
                page = await queries.List(
                    io_pb2.ApiResourceListInput(page_size=500, page_token=token), timeout=10
                )
                items.extend(page.items)
                token = page.next_page_token
                if not token:
                    return items
        except grpc.aio.AioRpcError:
            return None

    # one round
    async def run_round(self, index: int, kind: str, count: int) -> RoundReport:
        window = count * self.create_gap
        # An aimed kill starts waiting while executions are still being created, so
        # an HTTP call is sure to come; the others may also land after the last create.
        latest = window if kind in self.aim_at_http else window + 3.0
        kill_at = self.rng.uniform(0.3, max(0.3, latest))
        down_for = self.rng.uniform(0.3, max(0.3, self.max_down))
        report = RoundReport(round=index, kind=kind, kill_at=kill_at, down_for=down_for)
        items = [
            Created(key=f"r{index}-{i}-{uuid.uuid4().hex[:8]}", n=index * 1000 + i, round=index)
            for i in range(count)
        ]
        self.created.extend(items)
        self.log(f"round {index}: kill {kind} at +{kill_at:.2f}s, down {down_for:.2f}s")

        async def create_all() -> None:
            for item in items:
                started = time.monotonic()
                await self._create(item)
                await asyncio.sleep(max(0.0, self.create_gap - (time.monotonic() - started)))

        started = time.monotonic()
        creator = asyncio.create_task(create_all())
        await asyncio.sleep(kill_at)
        if kind in self.aim_at_http:
            # Land inside an HTTP call (its activity is the one killed), if one comes.
            deadline = time.monotonic() + 15
            while self.sink.open == 0 and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.02)  # the sink is another thread: poll it
        report.http_open_at_kill = self.sink.open
        sent, gone = await asyncio.to_thread(self.stack.kill, kind)
        self.kills.append((sent, gone, kind))
        self.report.kills[kind] = self.report.kills.get(kind, 0) + 1
        self.log(f"round {index}: killed {kind} at +{time.monotonic() - started:.2f}s")
        await asyncio.sleep(down_for)
        restart = time.monotonic()
        await asyncio.to_thread(self.stack.launch(kind))
        report.restart_seconds = time.monotonic() - restart
        await creator
        report.created_ok = sum(1 for item in items if item.execution_id)
        report.create_failed = len(items) - report.created_ok
        self.log(
            f"round {index}: {kind} back after {report.restart_seconds:.1f}s; "
            f"{report.created_ok} created, {report.create_failed} refused"
        )
        ended = await self._wait_round_ended(index, restart)
        if ended is not None:
            report.recovery_seconds = ended - restart
            self.log(f"round {index}: all ended {report.recovery_seconds:.1f}s after the restart")
        self.report.rounds.append(report)
        return report

    async def _wait_round_ended(self, index: int, restart: float) -> float | None:
        """When every execution of the round the server stored ended (None: not in time)."""
        prefix = f"fault-r{index}-"
        acknowledged = {item.execution_id for item in self.created if item.round == index}
        acknowledged.discard("")
        open_ids: list[str] = []
        while time.monotonic() - restart < self.recovery_limit:
            listed = await self._list_all()
            if listed is not None:
                mine = [e for e in listed if e.metadata.name.startswith(prefix)]
                seen = {e.metadata.id for e in mine}
                open_ids = [e.metadata.id for e in mine if e.status.phase not in TERMINAL]
                open_ids += sorted(acknowledged - seen)
                if not open_ids:
                    return time.monotonic()
            await asyncio.sleep(0.5)
        self.report.problems.append(
            f"round {index}: {len(open_ids)} execution(s) not ended {self.recovery_limit:.0f}s "
            f"after the restart: {open_ids[:10]}"
        )
        return None

    # the whole matrix
    async def run(self, kinds: Sequence[str]) -> MatrixReport:
        began = time.monotonic()
        try:
            for component in ("temporal", "server", "runner"):
                await asyncio.to_thread(self.stack.launch(component))
            await self._apply_workflows()
            for index, kind in enumerate(kinds):
                if kind == "supervisor" and not self.stack.supervised:
                    await asyncio.to_thread(self.stack.stop_components)
                    await asyncio.to_thread(self.stack.launch("supervisor"))
                elif kind != "supervisor" and self.stack.supervised:
                    raise ValueError("component kills must come before the supervisor rounds")
                share, extra = divmod(self.executions, len(kinds))
                await self.run_round(index, kind, share + (1 if index < extra else 0))
            await self._check_all()
        finally:
            if self._channel is not None:
                await self._channel.close()
            await asyncio.to_thread(self.stack.stop)
            self.sink.close()
            self.report.wall_seconds = time.monotonic() - began
        return self.report

    async def _check_all(self) -> None:
        listed = await self._list_all()
        if listed is None:
            self.report.problems.append("List failed at the end")
            return
        by_id = {e.metadata.id: e for e in listed}
        acknowledged = {item.execution_id for item in self.created if item.execution_id}
        self.report.executions_created = len(acknowledged)
        self.report.create_failures = sum(1 for item in self.created if not item.execution_id)
        self.report.stored_not_acknowledged = sum(
            1
            for e in listed
            if e.metadata.name.startswith("fault-") and e.metadata.id not in acknowledged
        )
        for e in listed:
            if e.metadata.name.startswith("fault-") and e.status.phase not in TERMINAL:
                self.report.problems.append(
                    f"{e.metadata.id} ({e.metadata.name}) still "
                    f"{phase_pb2.ExecutionPhase.Name(e.status.phase)}"
                )
        for item in self.created:
            if not item.execution_id:
                continue
            execution = by_id.get(item.execution_id)
            if execution is None:
                self.report.problems.append(f"{item.execution_id} ({item.key}) lost")
                continue
            phase = execution.status.phase
            output = (
                json_format.MessageToDict(execution.status.output)
                if execution.status.HasField("output")
                else None
            )
            if phase != phase_pb2.COMPLETED or output != expected_output(item.key, item.n):
                error = json_format.MessageToDict(execution.status.error)
                self.report.problems.append(
                    f"{item.execution_id} ({item.key}) ended "
                    f"{phase_pb2.ExecutionPhase.Name(phase)} output={output} error={error}"
                )
                continue
            self.report.executions_completed += 1
        self._count_duplicates(by_id)

    def _count_duplicates(self, by_id: dict[str, execution_api.WorkflowExecution]) -> None:
        """Count repeated requests per key; each must be explained by a kill."""
        windows = sorted((sent, gone) for sent, gone, _ in self.kills)
        keys_of_completed = {
            item.key
            for item in self.created
            if item.execution_id
            and by_id.get(item.execution_id) is not None
            and by_id[item.execution_id].status.phase == phase_pb2.COMPLETED
        }
        for item in self.created:
            times = self.sink.times(item.key)
            if item.key in keys_of_completed and not times:
                self.report.missing_requests.append(item.key)
                self.report.problems.append(f"{item.execution_id}: COMPLETED without its request")
            for previous, current in itertools.pairwise(times):
                self.report.duplicates += 1
                # A request the killed process sent before it was gone, repeated after the kill.
                if not any(previous < gone and sent < current for sent, gone in windows):
                    self.report.unexplained_duplicates.append(
                        f"{item.key}: request again {current - previous:.2f}s later, no kill between"
                    )
            # A kill explains one repeat per key: never more repeats than kills after the first.
            if len(times) > 1:
                after_first = sum(1 for _, gone in windows if gone > times[0])
                if len(times) - 1 > after_first:
                    self.report.unexplained_duplicates.append(
                        f"{item.key}: {len(times) - 1} repeats, {after_first} kill(s) after the first"
                    )


def kill_plan(rounds: int, kinds: Sequence[str], rng: random.Random) -> list[str]:
    """At least ``rounds`` kinds: each kind once, then random ones; supervisor kills last."""
    plan = list(kinds)
    while len(plan) < rounds:
        plan.append(rng.choice(list(kinds)))
    components = [k for k in plan if k != "supervisor"]
    rng.shuffle(components)
    return components + [k for k in plan if k == "supervisor"]


@contextlib.contextmanager
def work_dir(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    path = Path(tempfile.mkdtemp(prefix="stigmer-faults-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    parser.add_argument("--rounds", type=int, default=8, help="kills (at least one per kind)")
    parser.add_argument("--executions", type=int, default=200, help="split over the rounds")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated kill kinds")
    parser.add_argument("--recovery-limit", type=float, default=60.0)
    parser.add_argument(
        "--sink-delay",
        type=float,
        default=SINK_DELAY_SECONDS,
        help="seconds each HTTP answer takes",
    )
    parser.add_argument(
        "--aim-at-http",
        default="",
        help="comma-separated kinds whose kill waits for an open HTTP call after its random delay",
    )
    parser.add_argument(
        "--max-down", type=float, default=2.5, help="longest time a killed process stays down"
    )
    parser.add_argument("--work-dir", type=Path, default=None, help="keep data and logs here")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    kinds = [k for k in args.kinds.split(",") if k]
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        parser.error(f"--kinds: unknown {unknown}; known: {', '.join(KINDS)}")
    print(f"seed {seed}", file=sys.stderr, flush=True)
    with work_dir(args.work_dir) as work:
        matrix = FaultMatrix(
            work,
            seed=seed,
            executions=args.executions,
            recovery_limit=args.recovery_limit,
            sink_delay=args.sink_delay,
            aim_at_http=[k for k in args.aim_at_http.split(",") if k],
            max_down=args.max_down,
            log=lambda line: print(line, file=sys.stderr, flush=True),
        )
        plan = kill_plan(max(args.rounds, len(kinds)), kinds, matrix.rng)
        report = asyncio.run(matrix.run(plan))
        print(json.dumps(report.as_dict(), indent=2))
        if report.problems or report.unexplained_duplicates:
            print(f"logs: {work / 'logs'}, {work / 'data' / 'logs'}", file=sys.stderr)
            if args.work_dir is None:
                print(matrix.stack.log_tails(), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
