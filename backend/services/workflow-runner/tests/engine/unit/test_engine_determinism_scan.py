"""The engine's workflow code holds no clock, random, environment or file access.

Production workers pass the engine through Temporal's sandbox
(``wiring.worker.engine_sandbox``), so the sandbox no longer refuses such a call
at run time; this static scan of every engine module the workflow imports does,
at test time. The replay tests still guard what the engine commands.
"""

from __future__ import annotations

from stigmer_testing.determinism_scan import (
    Finding,
    imported_modules,
    scan_modules,
    scan_source,
    unexpected,
)
from workflow_runner.engine.worker import ENGINE_MODULES

#: The production engine workflow's module (it imports the whole engine).
ENTRY = "workflow_runner.wiring.workflow"

#: Reviewed exceptions: code that lives in an imported module but never runs in a workflow.
ALLOWED = {
    "stigmer_dsl.loader:default_schema_path:os.environ": "schema lookup at Apply/CLI, never in a run",
    "stigmer_dsl.loader:load_schema_validator:.is_file": "schema lookup at Apply/CLI",
    "stigmer_dsl.loader:load_schema_validator:.read_text": "schema lookup at Apply/CLI",
    "workflow_runner.events.cloudevent:new_event:datetime.datetime.now": (
        "the `stigmer emit` CLI; workflow code passes id and time"
    ),
    "workflow_runner.events.cloudevent:new_event:uuid.uuid4": "the `stigmer emit` CLI",
    "workflow_runner.secrets.file_provider:FileSecretProvider.from_env:os.environ": (
        "built by the worker's entry point, read by the LoadSecrets activity"
    ),
    "workflow_runner.secrets.file_provider:FileSecretProvider.load:.read_text": (
        "the LoadSecrets activity"
    ),
    "stigmer_common.secret_redaction:protection_enabled:os.environ": (
        "read when a process builds its data converter and log filters, never in a run"
    ),
}


def test_engine_workflow_modules_make_no_non_deterministic_call() -> None:
    modules = imported_modules(ENTRY, (*ENGINE_MODULES, "stigmer_common"))
    assert "workflow_runner.engine.workflow" in modules
    assert "stigmer_dsl.loader" in modules
    findings = scan_modules(modules)
    found = unexpected(findings, ALLOWED)
    assert not found, "non-deterministic calls in engine workflow code:\n" + "\n".join(
        map(str, found)
    )
    # Every reviewed exception still exists: a stale one would hide a new call.
    assert {finding.key for finding in findings} == set(ALLOWED)


def test_scan_catches_each_kind_of_call() -> None:
    source = """
import os, random, time
import datetime as dt
from datetime import datetime
from time import monotonic as clock
from uuid import uuid4
from pathlib import Path

def task(data):
    data["a"] = time.time()
    data["b"] = random.randint(0, 9)
    data["c"] = os.environ.get("HOME")
    data["d"] = datetime.now()
    data["e"] = dt.date.today()
    data["f"] = clock()
    data["g"] = str(uuid4())
    data["h"] = open("/etc/hostname").read()
    data["i"] = Path("x").read_text()
    input = data.get("input")  # a variable, not the builtin
    return input
"""
    names = {finding.name for finding in scan_source("example", source)}
    assert names == {
        "time.time",
        "random.randint",
        "os.environ",
        "datetime.datetime.now",
        "datetime.date.today",
        "time.monotonic",
        "uuid.uuid4",
        "builtins.open",
        ".read_text",
    }
    assert all(isinstance(f, Finding) for f in scan_source("example", source))


def test_scan_accepts_temporal_workflow_apis() -> None:
    source = """
from temporalio import workflow

async def task():
    now = workflow.now()
    value = workflow.random().randint(0, 9)
    ident = workflow.uuid4()
    return now, value, ident
"""
    assert scan_source("example", source) == []
