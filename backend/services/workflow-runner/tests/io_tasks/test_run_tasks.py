"""`run: shell|script|container` tasks through the engine (real subprocesses)."""

from __future__ import annotations

import time

import pytest
from tests.support.engine_runner import EngineRunner


def _doc(name: str, tasks: str) -> str:
    header = f"document:\n  dsl: '1.0.3'\n  namespace: test\n  name: {name}\n  version: '1.0.0'\n"
    return header + "do:\n" + tasks


async def test_shell_with_stdin_and_arguments_from_expressions(engine: EngineRunner) -> None:
    definition = _doc(
        "shell",
        """
  - setInput:
      set:
        message: Hello World
  - runShell:
      input:
        from: ${ .message }
      run:
        shell:
          stdin: ${ . }
          command: |
            input=$(cat)
            echo "STDIN was: $input"
            echo "ARGS are $1 $2"
          arguments:
          - Foo
          - ${ "B" + "ar" }
          environment:
            GREETING: ${ . }
""",
    )
    output = await engine.run(definition, {})
    assert output == "STDIN was: Hello World\nARGS are Foo Bar\n"


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("code", 4),
        ("stderr", "bad\n"),
        ("all", {"code": 4, "stdout": "half\n", "stderr": "bad\n"}),
    ],
)
async def test_return_modes_report_a_failing_command(
    engine: EngineRunner, mode: str, expected: object
) -> None:
    definition = _doc(
        f"return-{mode}",
        f"""
  - runShell:
      run:
        shell:
          command: echo half; echo bad >&2; exit 4
        return: {mode}
""",
    )
    assert await engine.run(definition, {}) == expected


async def test_failing_command_with_stdout_return_faults_with_runtime_error(
    engine: EngineRunner,
) -> None:
    definition = _doc(
        "failing",
        """
  - runShell:
      run:
        shell:
          command: echo broken pipe >&2; exit 2
""",
    )
    problem = await engine.fault(definition, {})
    assert problem["type"].endswith("/runtime") and problem["status"] == 500
    assert "broken pipe" in problem["detail"]
    assert problem["instance"] == "/do/0/runShell"


async def test_await_false_outputs_the_transformed_input(engine: EngineRunner) -> None:
    definition = _doc(
        "no-await",
        """
  - fireAndForget:
      input:
        from: '{ kept: .value }'
      run:
        shell:
          command: sleep 5
        await: false
""",
    )
    assert await engine.run(definition, {"value": 1}) == {"kept": 1}


async def test_python_script_reads_input_through_stdin_json(engine: EngineRunner) -> None:
    definition = _doc(
        "python",
        """
  - compute:
      run:
        script:
          language: python
          stdin: ${ . }
          arguments:
            - ${ .factor | tostring }
          code: |
            import json, sys
            data = json.load(sys.stdin)
            print(json.dumps({"total": sum(data["values"]) * int(sys.argv[1])}))
      output:
        as: fromjson
""",
    )
    assert await engine.run(definition, {"values": [1, 2, 3], "factor": 10}) == {"total": 60}


async def test_javascript_script_from_the_spec_example(engine: EngineRunner) -> None:
    definition = _doc(
        "js",
        """
  - runScript:
      run:
        script:
          language: javascript
          stdin: "Hello Workflow"
          environment:
           foo: bar
          arguments:
          - hello
          code: |
            import { readFileSync } from 'node:fs';
            const stdin = readFileSync(process.stdin.fd, 'utf8');
            console.log('stdin > ', stdin)
            const [_, __, arg] = process.argv;
            console.log('arg > ', arg)
            console.log('env > ', process.env.foo)
""",
    )
    output = await engine.run(definition, {})
    assert output == "stdin >  Hello Workflow\narg >  hello\nenv >  bar\n"


async def test_container_runs_are_a_clear_configuration_error(engine: EngineRunner) -> None:
    definition = _doc(
        "container",
        """
  - runContainer:
      run:
        container:
          image: hello-world
""",
    )
    problem = await engine.fault(definition, {})
    assert problem["type"].endswith("/configuration") and problem["status"] == 400
    assert "container runs are not supported here" in problem["detail"]


async def test_task_timeout_faults_a_long_command_promptly(engine: EngineRunner) -> None:
    definition = _doc(
        "timeout",
        """
  - slow:
      timeout:
        after:
          seconds: 1
      run:
        shell:
          command: sleep 20
""",
    )
    started = time.monotonic()
    problem = await engine.fault(definition, {})
    assert problem["type"].endswith("/timeout") and problem["status"] == 408
    assert problem["instance"] == "/do/0/slow"
    assert time.monotonic() - started < 10
