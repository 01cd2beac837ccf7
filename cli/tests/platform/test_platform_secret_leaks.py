"""No secret in clear anywhere a platform run leaves traces (real processes).

One run of the platform (stigmer-server on its RocksDB dir, the workflow
runner, a Temporal dev server keeping its database in a file) with a marker
secret held by an Environment and an ExecutionContext, and two executions that
spread it everywhere: `$secrets.marker` in a task's input and output, the
workflow's output, the URL of an HTTP call that fails (caught), and the title
and detail of a `raise` that fails the second execution. Then the marker is
searched in the RocksDB directory (the bytes of its files: WAL, SST, manifest; and
its records, decompressed), every API response the
test received, every log file, the dev server's database, and
`temporal workflow show -o json` of both workflows (orchestration and engine)
of each execution, base64 payloads decoded: zero hits.

The control run does the same with ``STIGMER_SECRET_PROTECTION=off``
(no sealing, no redaction, no scrubbing, failure messages in clear) and must
find its marker in each of those places, so the search can fail.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import secrets
import string
import subprocess
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import grpc
import pytest
import pytest_asyncio
import rocksdict
from e2e_platform import Platform, dsl_document, running_platform
from google.protobuf import json_format
from google.protobuf.message import Message
from stigmer.commons.v1 import io_pb2 as commons_io
from stigmer.commons.v1 import kind_pb2, metadata_pb2, phase_pb2
from stigmer.environment.v1 import api_pb2 as environment_api
from stigmer.environment.v1 import command_pb2_grpc as environment_command
from stigmer.environment.v1 import query_pb2_grpc as environment_query
from stigmer.executioncontext.v1 import api_pb2 as context_api
from stigmer.executioncontext.v1 import command_pb2_grpc as context_command
from stigmer.executioncontext.v1 import query_pb2_grpc as context_query
from stigmer.workflowexecution.v1 import api_pb2 as execution_api
from stigmer.workflowexecution.v1 import command_pb2_grpc as execution_command
from stigmer.workflowexecution.v1 import query_pb2_grpc as execution_query
from stigmer.workflowinstance.v1 import api_pb2 as instance_api
from stigmer.workflowinstance.v1 import command_pb2_grpc as instance_command
from stigmer_cli.api import StigmerClient
from stigmer_common.temporal_dev_server import start_dev_server, temporal_cli_path
from stigmer_dsl.converter import workflow_from_dsl
from stigmer_server.orchestration.run_control import (
    engine_workflow_id,
    orchestration_workflow_id,
)
from temporalio.testing import WorkflowEnvironment

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

FOLLOW_TIMEOUT = 120.0


_REQUESTED: list[str] = []


class _Failing(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        _REQUESTED.append(self.path)
        self.send_response(500)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def failing_http() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def dev(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[WorkflowEnvironment, Path]]:
    db = tmp_path_factory.mktemp("temporal") / "temporal.db"
    env = await start_dev_server("--db-filename", str(db))
    try:
        yield env, db
    finally:
        await env.shutdown()


MessageT = TypeVar("MessageT", bound=Message)


@dataclass
class Traces:
    """Where one run left traces, to search for its marker."""

    responses: list[bytes] = field(default_factory=list)
    execution_ids: list[str] = field(default_factory=list)
    workflow_ids: list[str] = field(default_factory=list)

    def keep(self, message: MessageT) -> MessageT:
        self.responses.append(message.SerializeToString())
        self.responses.append(str(message).encode())
        return message


def _document(http_base: str) -> dict[str, object]:
    """Spreads `$secrets.marker` into task input/output, output and a failing call's URL."""
    document: dict[str, object] = dsl_document(
        "spreads-a-secret",
        [
            {
                "grab": {
                    "set": {"token": "${ $secrets.marker }", "label": '${ "k:" + $secrets.marker }'}
                }
            },
            {"carry": {"set": {"carried": "${ .token }", "label": "${ .label }"}}},
            {
                "probe": {
                    "try": [
                        {
                            "fetch": {
                                "call": "http",
                                "with": {
                                    "method": "get",
                                    "endpoint": f'${{ "{http_base}/" + $secrets.marker }}',
                                },
                            }
                        }
                    ],
                    "catch": {"as": "failure", "do": [{"note": {"set": {"failed": True}}}]},
                }
            },
            {"finish": {"set": {"result": '${ "out:" + $secrets.marker }'}}},
        ],
        use={"secrets": ["marker"]},
    )
    return document


def _raising_document() -> dict[str, object]:
    document: dict[str, object] = dsl_document(
        "raises-a-secret",
        [
            {
                "fail": {
                    "raise": {
                        "error": {
                            "type": "https://example.com/errors/leak",
                            "status": 400,
                            "title": '${ "title:" + $secrets.marker }',
                            "detail": '${ "detail:" + $secrets.marker }',
                        }
                    }
                }
            }
        ],
        use={"secrets": ["marker"]},
    )
    return document


async def _run_everything(
    platform: Platform, marker: str, http_base: str, *, protected: bool
) -> Traces:
    traces = Traces()
    channel = grpc.aio.insecure_channel(platform.server.address)
    try:
        environment = environment_api.Environment(api_version="stigmer.ai/v1", kind="Environment")
        environment.metadata.name = "leak-values"
        environment.spec.data["marker"].value = marker
        environment.spec.data["marker"].is_secret = True
        environment = traces.keep(
            await environment_command.EnvironmentCommandControllerStub(channel).Create(environment)
        )
        traces.keep(
            await environment_query.EnvironmentQueryControllerStub(channel).Get(
                commons_io.ApiResourceId(value=environment.metadata.id)
            )
        )
        traces.keep(
            await environment_query.EnvironmentQueryControllerStub(channel).List(
                commons_io.ApiResourceListInput()
            )
        )
        async with StigmerClient(platform.server.address) as client:
            for document in (_document(http_base), _raising_document()):
                workflow = traces.keep(await client.apply_workflow(workflow_from_dsl(document)[0]))
                instance = instance_api.WorkflowInstance(
                    api_version="stigmer.ai/v1", kind="WorkflowInstance"
                )
                instance.metadata.name = f"{workflow.metadata.name}-instance"
                instance.spec.workflow_id = workflow.metadata.id
                instance.spec.environment_refs.append(
                    metadata_pb2.ApiResourceReference(
                        slug=environment.metadata.slug, kind=kind_pb2.ENVIRONMENT
                    )
                )
                instance = traces.keep(
                    await instance_command.WorkflowInstanceCommandControllerStub(channel).Create(
                        instance
                    )
                )
                execution = execution_api.WorkflowExecution(
                    api_version="stigmer.ai/v1", kind="WorkflowExecution"
                )
                execution.metadata.name = f"{workflow.metadata.name}-run"
                execution.spec.workflow_instance_id = instance.metadata.id
                execution = traces.keep(
                    await execution_command.WorkflowExecutionCommandControllerStub(channel).Create(
                        execution
                    )
                )
                context = context_api.ExecutionContext(
                    api_version="stigmer.ai/v1", kind="ExecutionContext"
                )
                context.spec.execution_id = execution.metadata.id
                context.spec.data["marker"].value = marker
                context.spec.data["marker"].is_secret = True
                context = traces.keep(
                    await context_command.ExecutionContextCommandControllerStub(channel).Create(
                        context
                    )
                )
                traces.keep(
                    await context_query.ExecutionContextQueryControllerStub(channel).Get(
                        commons_io.ApiResourceId(value=context.metadata.id)
                    )
                )
                traces.execution_ids.append(execution.metadata.id)
            finals = []
            for execution_id in traces.execution_ids:
                last = None
                async with asyncio.timeout(FOLLOW_TIMEOUT):
                    async for update in client.subscribe(execution_id):
                        last = traces.keep(update)
                assert last is not None
                finals.append(
                    traces.keep(
                        await execution_query.WorkflowExecutionQueryControllerStub(channel).Get(
                            commons_io.ApiResourceId(value=execution_id)
                        )
                    )
                )
            traces.keep(
                await execution_query.WorkflowExecutionQueryControllerStub(channel).List(
                    commons_io.ApiResourceListInput()
                )
            )
    finally:
        await channel.close()
    spread, raised = finals
    assert spread.status.phase == phase_pb2.COMPLETED, platform.logs()
    assert raised.status.phase == phase_pb2.FAILED, platform.logs()
    # The secret really went everywhere: the call was made with it in its URL, and
    # (redacted or not) the output and the raised error carry what replaced it.
    assert f"/{marker}" in _REQUESTED
    shown = "[REDACTED]" if protected else marker
    assert json_format.MessageToDict(spread.status.output)["result"] == f"out:{shown}"
    problem = json_format.MessageToDict(raised.status.error)
    assert problem["message"] == f"detail:{shown}"
    assert problem["details"]["title"] == f"title:{shown}", problem
    for final in finals:
        traces.workflow_ids += [
            orchestration_workflow_id(final.metadata.id),
            engine_workflow_id(final.metadata.id),
        ]
    return traces


def _decoded_strings(node: Any) -> Iterator[bytes]:
    """Every string of a JSON document, and the bytes of those that are base64."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key).encode()
            yield from _decoded_strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _decoded_strings(item)
    elif isinstance(node, str):
        yield node.encode()
        try:
            yield base64.b64decode(node, validate=True)
        except (binascii.Error, ValueError):
            pass


def _workflow_show(target: str, workflow_id: str) -> bytes:
    shown = subprocess.run(
        [
            temporal_cli_path(),
            "workflow",
            "show",
            "-w",
            workflow_id,
            "-o",
            "json",
            "--address",
            target,
        ],
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert shown.stdout.strip(), shown.stderr
    return b"\n".join(_decoded_strings(json.loads(shown.stdout)))


def _files_with(root: Path, needle: bytes, pattern: str = "*") -> list[str]:
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob(pattern)
        if path.is_file() and needle in path.read_bytes()
    )


def _records_with(rocksdb_dir: Path, needle: bytes) -> list[bytes]:
    """Keys of the records (as stored now, decompressed) holding ``needle``."""
    db = rocksdict.Rdict(str(rocksdb_dir), rocksdict.Options(raw_mode=True))
    try:
        return [
            bytes(key)
            for key, value in db.items()
            if isinstance(key, bytes)
            and isinstance(value, bytes)
            and (needle in key or needle in value)
        ]
    finally:
        db.close()


@dataclass
class Hits:
    rocksdb: list[str]
    records: list[bytes]
    responses: int
    logs: list[str]
    temporal_show: list[str]
    temporal_db: list[str]


async def _leak_search(
    dev: tuple[WorkflowEnvironment, Path],
    payload_keys: str,
    tmp: Path,
    http_base: str,
    *,
    protected: bool,
) -> Hits:
    env, db = dev
    # Upper-case letters only: no id, key or JSON text shares 4-byte runs with it, so
    # RocksDB's block compression cannot hide a clear copy inside a back-reference.
    marker = "MK" + "".join(secrets.choice(string.ascii_uppercase) for _ in range(30))
    needle = marker.encode()
    # DEBUG: the most the processes ever log (the control run's runner log then
    # holds the marker; the protected run's must not).
    extra = {"STIGMER_LOG_LEVEL": "DEBUG"}
    if not protected:
        extra["STIGMER_SECRET_PROTECTION"] = "off"
    async with running_platform(env, payload_keys, tmp, extra_env=extra) as platform:
        traces = await _run_everything(platform, marker, http_base, protected=protected)
        target = env.client.service_client.config.target_host
        shown = {wid: _workflow_show(target, wid) for wid in traces.workflow_ids}
    # The server and runner have stopped: RocksDB and the logs are complete.
    return Hits(
        rocksdb=_files_with(tmp / "data", needle),
        records=_records_with(tmp / "data" / "rocksdb", needle),
        responses=sum(needle in response for response in traces.responses),
        logs=_files_with(tmp, needle, "*.log"),
        temporal_show=[wid for wid, text in shown.items() if needle in text],
        temporal_db=_files_with(db.parent, needle),
    )


async def test_no_secret_in_clear_anywhere(
    dev: tuple[WorkflowEnvironment, Path], payload_keys: str, tmp_path: Path, failing_http: str
) -> None:
    hits = await _leak_search(dev, payload_keys, tmp_path, failing_http, protected=True)
    assert hits == Hits(
        rocksdb=[], records=[], responses=0, logs=[], temporal_show=[], temporal_db=[]
    )


async def test_control_run_without_protection_finds_the_marker(
    dev: tuple[WorkflowEnvironment, Path], payload_keys: str, tmp_path: Path, failing_http: str
) -> None:
    hits = await _leak_search(dev, payload_keys, tmp_path, failing_http, protected=False)
    print(f"control run: marker found in {hits}")
    assert hits.rocksdb, "RocksDB's files hold the secret in clear without sealing"
    assert hits.records, "RocksDB's records hold the secret in clear without sealing"
    assert hits.responses, "API responses show the secret without redaction"
    assert hits.temporal_show, "the raise title is in history without failure encoding"
    assert hits.temporal_db, "the dev server's database holds the clear failure message"
    assert hits.logs, "the runner logs the failed call's URL without log redaction"
