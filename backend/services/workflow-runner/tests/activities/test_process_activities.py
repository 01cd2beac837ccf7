"""The run-shell and run-script activities, as real subprocesses."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import pytest
from temporalio.testing import ActivityEnvironment
from tests.support.fake_http_services import FakeHttpServices
from tests.support.problem_assertions import expect_problem
from workflow_runner.activities.http_exchange import HttpExchange
from workflow_runner.activities.process_models import RunScriptInput, RunShellInput
from workflow_runner.activities.process_run import ProcessActivities
from workflow_runner.activities.resource_fetch import ResourceFetcher


@pytest.fixture
def processes(exchange: HttpExchange) -> ProcessActivities:
    return ProcessActivities(ResourceFetcher(exchange), default_timeout_seconds=20.0)


async def _shell(processes: ProcessActivities, run: RunShellInput) -> object:
    return (await ActivityEnvironment().run(processes.run_shell, run)).value


async def _script(processes: ProcessActivities, run: RunScriptInput) -> object:
    return (await ActivityEnvironment().run(processes.run_script, run)).value


async def test_shell_stdin_and_arguments_as_in_the_spec_example(
    processes: ProcessActivities,
) -> None:
    value = await _shell(
        processes,
        RunShellInput(
            command='input=$(cat)\necho "STDIN was: $input"\necho "ARGS are $1 $2"\n',
            arguments=["Foo", "Bar"],
            stdin="Hello World",
        ),
    )
    assert value == "STDIN was: Hello World\nARGS are Foo Bar\n"


async def test_shell_environment_is_set_and_worker_env_is_not_leaked(
    processes: ProcessActivities, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STIGMER_TEST_WORKER_SECRET", "leak")
    value = await _shell(
        processes,
        RunShellInput(
            command='echo "$GREETING|${STIGMER_TEST_WORKER_SECRET:-unset}"',
            environment={"GREETING": "hi"},
        ),
    )
    assert value == "hi|unset\n"


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("stdout", "out\n"),
        ("stderr", "err\n"),
        ("code", 0),
        ("all", {"code": 0, "stdout": "out\n", "stderr": "err\n"}),
        ("none", None),
    ],
)
async def test_shell_return_modes(
    processes: ProcessActivities, mode: str, expected: object
) -> None:
    value = await _shell(
        processes, RunShellInput(command="echo out; echo err >&2", return_mode=mode)
    )
    assert value == expected


async def test_non_zero_exit_returns_for_code_and_all(processes: ProcessActivities) -> None:
    command = "echo partial; echo boom >&2; exit 3"
    assert await _shell(processes, RunShellInput(command=command, return_mode="code")) == 3
    assert await _shell(processes, RunShellInput(command=command, return_mode="all")) == {
        "code": 3,
        "stdout": "partial\n",
        "stderr": "boom\n",
    }


async def test_non_zero_exit_with_stdout_is_a_runtime_error_with_stderr(
    processes: ProcessActivities,
) -> None:
    details = await expect_problem(
        _shell(processes, RunShellInput(command="echo boom >&2; exit 3")), "runtime", 500
    )
    assert "code 3" in details["detail"] and "boom" in details["detail"]


async def test_timeout_kills_the_process_group(
    processes: ProcessActivities, tmp_path: Path
) -> None:
    marker = tmp_path / "survived"
    started = asyncio.get_running_loop().time()
    await expect_problem(
        _shell(
            processes,
            RunShellInput(command=f"(sleep 2; touch {marker}) & sleep 30", timeout_seconds=0.5),
        ),
        "timeout",
        408,
    )
    assert asyncio.get_running_loop().time() - started < 5
    await asyncio.sleep(2.5)
    assert not marker.exists(), "the background child of the timed-out command kept running"


async def test_await_false_returns_at_once_and_the_process_runs(
    processes: ProcessActivities, tmp_path: Path
) -> None:
    marker = tmp_path / "done"
    value = await _shell(
        processes,
        RunShellInput(
            command=f"sleep 0.3; cat > {marker}", stdin="detached", await_completion=False
        ),
    )
    assert value is None
    assert not marker.exists()
    for _ in range(50):
        if marker.exists() and marker.read_text() == "detached":
            break
        await asyncio.sleep(0.1)
    assert marker.read_text() == "detached"


async def test_python_script_with_stdin_arguments_environment(
    processes: ProcessActivities,
) -> None:
    code = "import os, sys\nprint(sys.stdin.read().upper(), sys.argv[1:], os.environ['foo'])\n"
    value = await _script(
        processes,
        RunScriptInput(
            language="python",
            code=code,
            stdin="hello",
            arguments=["a", "b"],
            environment={"foo": "bar"},
        ),
    )
    assert value == "HELLO ['a', 'b'] bar\n"


async def test_javascript_es_module_script_from_the_spec_example(
    processes: ProcessActivities,
) -> None:
    code = (
        "import { readFileSync } from 'node:fs';\n"
        "const stdin = readFileSync(process.stdin.fd, 'utf8');\n"
        "console.log('stdin > ', stdin)\n"
        "const [_, __, arg] = process.argv;\n"
        "console.log('arg > ', arg)\n"
        "console.log('env > ', process.env.foo)\n"
    )
    value = await _script(
        processes,
        RunScriptInput(
            language="javascript",
            code=code,
            stdin="Hello Workflow",
            arguments=["hello"],
            environment={"foo": "bar"},
        ),
    )
    assert value == "stdin >  Hello Workflow\narg >  hello\nenv >  bar\n"


async def test_commonjs_script_also_runs(processes: ProcessActivities) -> None:
    code = "const os = require('os'); console.log(typeof os.platform(), process.argv.length)"
    value = await _script(processes, RunScriptInput(language="js", code=code, arguments=["x"]))
    assert value == "string 3\n"


async def test_script_from_a_file_and_from_http_source(
    processes: ProcessActivities, tmp_path: Path, fake_http_services: FakeHttpServices
) -> None:
    script = tmp_path / "hello.py"
    script.write_text("print('from file')\n")
    value = await _script(processes, RunScriptInput(language="python", source_uri=script.as_uri()))
    assert value == "from file\n"
    # httpbin's /base64/{value} serves the decoded value as text: a script over HTTP.
    encoded = base64.urlsafe_b64encode(b"print(6 * 7)").decode()
    uri = f"{fake_http_services.httpbin_url}/base64/{encoded}"
    assert await _script(processes, RunScriptInput(language="python", source_uri=uri)) == "42\n"


async def test_script_errors_name_the_field(processes: ProcessActivities) -> None:
    details = await expect_problem(
        _script(processes, RunScriptInput(language="ruby", code="puts 1")), "configuration"
    )
    assert "'script.language'" in details["detail"]
    details = await expect_problem(
        _script(processes, RunScriptInput(language="python")), "configuration"
    )
    assert "'script.code'" in details["detail"]
    details = await expect_problem(
        _script(processes, RunScriptInput(language="python", code="raise SystemExit('bad')")),
        "runtime",
    )
    assert "bad" in details["detail"]
    details = await expect_problem(
        _shell(processes, RunShellInput(command="true", return_mode="everything")),
        "configuration",
    )
    assert "'return'" in details["detail"]
    details = await expect_problem(
        _script(
            processes, RunScriptInput(language="python", source_uri="file:///nonexistent/x.py")
        ),
        "configuration",
    )
    assert "script.source" in details["detail"]


async def test_cancelled_activity_kills_its_process_group(
    processes: ProcessActivities, tmp_path: Path
) -> None:
    marker = tmp_path / "survived"
    heartbeats: list[object] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: heartbeats.append(details)
    run = asyncio.ensure_future(
        env.run(
            processes.run_shell,
            RunShellInput(command=f"(sleep 2.5; touch {marker}) & sleep 30"),
        )
    )
    await asyncio.sleep(2.2)  # past the first heartbeat
    env.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert heartbeats, "a waiting process activity must heartbeat to learn of cancellation"
    await asyncio.sleep(1.0)
    assert not marker.exists(), "the cancelled command's child kept running"


async def test_detached_script_cleans_its_directory_after_exit(
    exchange: HttpExchange, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    processes = ProcessActivities(ResourceFetcher(exchange), work_dir=work)
    marker = tmp_path / "ran"
    code = f"import time, pathlib; time.sleep(0.3); pathlib.Path({str(marker)!r}).touch()"
    value = await _script(
        processes, RunScriptInput(language="python", code=code, await_completion=False)
    )
    assert value is None
    assert len(list(work.iterdir())) == 1  # the script's directory, while it runs
    for _ in range(50):
        if marker.exists() and not list(work.iterdir()):
            break
        await asyncio.sleep(0.1)
    assert marker.exists()
    assert not list(work.iterdir())
