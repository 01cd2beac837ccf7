"""The server as a real process: kill -9 durability, one owner per data directory,
graceful SIGTERM, --help."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import grpc
import pytest
from stigmer.commons.v1 import io_pb2, phase_pb2
from stigmer.skill.v1 import api_pb2 as skill_api
from stigmer.skill.v1 import command_pb2_grpc as skill_command
from stigmer.skill.v1 import query_pb2_grpc as skill_query
from stigmer.workflowexecution.v1 import api_pb2 as wex
from stigmer.workflowexecution.v1 import io_pb2 as wex_io
from stigmer_testing.server_process import server_environment, start_server

pytestmark = pytest.mark.integration


def skill(i: int) -> skill_api.Skill:
    s = skill_api.Skill(spec=skill_api.SkillSpec(markdown_content=f"# {i}"))
    s.metadata.name = f"durable-{i}"
    return s


def test_every_acknowledged_write_survives_kill_9(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = start_server(data, log_path=tmp_path / "first.log")
    acknowledged: list[str] = []
    stop = threading.Event()

    def writer() -> None:
        with grpc.insecure_channel(server.address) as channel:
            stub = skill_command.SkillCommandControllerStub(channel)
            i = 0
            while not stop.is_set():
                try:
                    acknowledged.append(stub.Create(skill(i), timeout=5).metadata.id)
                except grpc.RpcError:
                    return  # the server died mid-call: that write was never acknowledged
                i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    deadline = time.monotonic() + 20
    while len(acknowledged) < 50 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.kill()  # SIGKILL while the writer is still writing
    stop.set()
    thread.join()
    assert len(acknowledged) >= 50

    restarted = start_server(data, log_path=tmp_path / "second.log")
    try:
        with grpc.insecure_channel(restarted.address) as channel:
            query = skill_query.SkillQueryControllerStub(channel)
            for rid in acknowledged:
                assert query.Get(io_pb2.ApiResourceId(value=rid)).metadata.id == rid
            listed = query.List(io_pb2.ApiResourceListInput(page_size=500)).items
            ids = [item.metadata.id for item in listed]
            # In creation order, and at most the one in-flight write beyond the acknowledged ones.
            assert ids[: len(acknowledged)] == acknowledged
            assert len(ids) - len(acknowledged) <= 1
    finally:
        assert restarted.stop() == 0


def test_acknowledged_status_updates_survive_kill_9(tmp_path: Path) -> None:
    from samples_sync import create_execution
    from stigmer.workflowexecution.v1 import command_pb2_grpc as wex_command
    from stigmer.workflowexecution.v1 import query_pb2_grpc as wex_query

    data = tmp_path / "data"
    server = start_server(data, log_path=tmp_path / "first.log")
    with grpc.insecure_channel(server.address) as channel:
        eid = create_execution(channel)
        command = wex_command.WorkflowExecutionCommandControllerStub(channel)
        for i in range(20):
            status = wex.WorkflowExecutionStatus(phase=phase_pb2.IN_PROGRESS)
            status.tasks.add(task_id=f"t{i}", status=phase_pb2.COMPLETED)
            command.UpdateStatus(
                wex_io.WorkflowExecutionUpdateStatusInput(execution_id=eid, status=status)
            )
    server.kill()
    restarted = start_server(data, log_path=tmp_path / "second.log")
    try:
        with grpc.insecure_channel(restarted.address) as channel:
            stored = wex_query.WorkflowExecutionQueryControllerStub(channel).Get(
                io_pb2.ApiResourceId(value=eid)
            )
            assert [t.task_id for t in stored.status.tasks] == [f"t{i}" for i in range(20)]
            assert stored.metadata.version == 21
    finally:
        restarted.stop()


def test_second_process_on_the_same_directory_fails_clearly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = start_server(data, log_path=tmp_path / "first.log")
    try:
        env = server_environment(data, "127.0.0.1:0")
        second = subprocess.run(
            [sys.executable, "-m", "stigmer_server"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 3
        assert (
            f"data directory {data} is already used by another stigmer-server process (pid {first.process.pid})"
            in second.stderr
        )
        # the first one is unaffected
        with grpc.insecure_channel(first.address) as channel:
            skill_query.SkillQueryControllerStub(channel).List(
                io_pb2.ApiResourceListInput(), timeout=5
            )
    finally:
        first.stop()


def test_second_server_on_a_busy_port_is_one_line_and_exit_2(tmp_path: Path) -> None:
    first = start_server(tmp_path / "first", log_path=tmp_path / "first.log")
    try:
        second = subprocess.run(
            [sys.executable, "-m", "stigmer_server"],
            env=server_environment(tmp_path / "second", first.address),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 2, second.stderr
        assert "Traceback" not in second.stderr
        assert second.stderr.strip().splitlines()[-1] == (
            f"stigmer-server: STIGMER_GRPC_ADDRESS={first.address}: cannot listen there "
            "(port in use by another server, or not a local address)"
        )
    finally:
        first.stop()


def test_sigterm_shuts_down_in_order(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", log_path=tmp_path / "server.log")
    assert server.stop() == 0
    logs = server.logs()
    steps = [
        "stopping: RPCs",
        "stopping: orchestration worker",
        "stopping: orchestration client",
        "stopping: store",
        '"stopped"',
    ]
    positions = [logs.find(step) for step in steps]
    assert -1 not in positions, logs
    assert positions == sorted(positions)


def test_help_lists_the_environment() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "stigmer_server", "--help"],
        env=server_environment(Path("/nonexistent"), "127.0.0.1:0"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert "STIGMER_DATA_DIR" in result.stdout and "STIGMER_API_KEYS" in result.stdout
