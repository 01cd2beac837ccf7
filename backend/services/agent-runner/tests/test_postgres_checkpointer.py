"""The Postgres checkpointer (STIGMER_AGENT_CHECKPOINT_URL) on a real PostgreSQL server
started for the test: a thread written through one saver is continued through another
(a restarted runner), the conversation intact. Skipped when no server binaries exist."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import AsyncExitStack

import pytest
from agent_runner.checkpointer import open_checkpointer
from agent_runner.execute import agent_graph
from agent_runner.models import chat_model
from agent_runner.settings import AgentRunnerSettings, ModelDefaults
from agent_runner_testing.scripted_model import ScriptedModel, user_texts
from langchain_core.messages import HumanMessage
from langchain_core.runnables import RunnableConfig


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("no PostgreSQL server here (initdb, pg_ctl): apt-get install postgresql")
    # PostgreSQL refuses to run as root: then as the postgres user, in a directory it owns
    # (pytest's tmp dirs are private to root).
    as_user: list[str] = []
    data = tempfile.mkdtemp(prefix="stigmer-pg-")
    if os.geteuid() == 0:
        if not shutil.which("runuser"):
            pytest.skip("running as root without runuser: cannot start PostgreSQL")
        try:
            shutil.chown(data, user="postgres")
        except LookupError:
            pytest.skip("running as root and there is no postgres user to start PostgreSQL as")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    try:
        subprocess.run(
            [*as_user, initdb, "-D", data, "-A", "trust", "-U", "stigmer", "--no-sync"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
        start = ["-o", options, "-w", "-t", "120", "-l", f"{data}/log", "start"]
        subprocess.run(
            [*as_user, pg_ctl, "-D", data, *start],
            check=True,
            capture_output=True,
            timeout=180,
        )
    except subprocess.CalledProcessError as error:
        # E.g. a sandbox that forbids switching user: this machine cannot run one.
        _stop(as_user, pg_ctl, data)
        reason = (error.stderr or b"").decode(errors="replace").strip()[-300:]
        pytest.skip(f"PostgreSQL could not be started here: {reason}")
    try:
        yield f"postgresql://stigmer@127.0.0.1:{port}/postgres"
    finally:
        _stop(as_user, pg_ctl, data)


def _stop(as_user: list[str], pg_ctl: str, data: str) -> None:
    subprocess.run(
        [*as_user, pg_ctl, "-D", data, "-m", "immediate", "stop"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    shutil.rmtree(data, ignore_errors=True)


async def test_a_thread_in_postgres_is_continued_by_a_second_saver(postgres_url: str) -> None:
    config: RunnableConfig = {"configurable": {"thread_id": "thread-pg"}}
    with ScriptedModel() as model:
        settings = AgentRunnerSettings(
            checkpoint_url=postgres_url,
            models=ModelDefaults(model="openai:scripted", openai_base_url=model.base_url),
        )
        for message in ("I am Ada", "who am I?"):
            # A fresh saver each turn: what the first wrote is read back from Postgres.
            async with AsyncExitStack() as stack:
                saver, is_open, where = await open_checkpointer(settings, stack)
                assert is_open() and postgres_url not in where
                graph = agent_graph(
                    chat_model(settings.models.model, settings.models), [], "Be brief.", saver
                )
                await graph.ainvoke(
                    {"messages": [HumanMessage(content=message)]}, config, durability="sync"
                )
        assert not is_open()  # closed with its stack
    assert user_texts(model.requests[-1]) == ["I am Ada", "who am I?"]
    async with AsyncExitStack() as stack:
        saver, _, _ = await open_checkpointer(settings, stack)
        state = await saver.aget_tuple(config)
        assert state is not None
        contents = [m.content for m in state.checkpoint["channel_values"]["messages"]]
    assert contents == [
        "I am Ada",
        "I heard: I am Ada.",
        "who am I?",
        "I heard: I am Ada | who am I?.",
    ]
