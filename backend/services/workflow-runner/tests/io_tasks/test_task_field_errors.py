"""Bad I/O task fields fault with a `configuration` error naming the field."""

from __future__ import annotations

import pytest
from tests.support.engine_runner import EngineRunner


def _doc(tasks: str) -> str:
    header = "document:\n  dsl: '1.0.3'\n  namespace: test\n  name: bad\n  version: '1.0.0'\n"
    return header + "do:\n" + tasks


CASES = [
    (
        "http-headers",
        """
  - t:
      call: http
      with:
        method: get
        endpoint: http://127.0.0.1:9/x
        headers: ${ .list }
""",
        "with.headers must be an object",
    ),
    (
        "http-output",
        """
  - t:
      call: http
      with:
        method: get
        endpoint: http://127.0.0.1:9/x
        output: ${ "xml" }
""",
        "with.output must be one of content, response, raw",
    ),
    (
        "http-endpoint-expression",
        """
  - t:
      call: http
      with:
        method: get
        endpoint: ${ .list }
""",
        "with.endpoint must evaluate to a non-empty string",
    ),
    (
        "shell-arguments",
        """
  - t:
      run:
        shell:
          command: echo
          arguments: ${ .object }
""",
        "run.shell.arguments must be a list",
    ),
    (
        "grpc-port",
        """
  - t:
      call: grpc
      with:
        proto:
          endpoint: file:///nonexistent.proto
        service:
          name: a.B
          host: 127.0.0.1
          port: ${ "5011" }
        method: M
""",
        "with.service.port must be an integer",
    ),
    (
        "unknown-authentication",
        """
  - t:
      call: http
      with:
        method: get
        endpoint:
          uri: http://127.0.0.1:9/x
          authentication:
            use: nowhere
""",
        "no authentication named 'nowhere' in use.authentications",
    ),
    (
        "activity-name",
        """
  - t:
      call: activity
      with:
        input: 1
""",
        "with.name must be a non-empty string",
    ),
]


@pytest.mark.parametrize(("case", "tasks", "message"), CASES, ids=[c[0] for c in CASES])
async def test_field_errors(engine: EngineRunner, case: str, tasks: str, message: str) -> None:
    problem = await engine.fault(_doc(tasks), {"list": [1], "object": {"a": 1}})
    assert problem["type"].endswith(("/configuration", "/expression")), problem
    assert message in problem["detail"], problem
    assert problem["instance"] == "/do/0/t"
