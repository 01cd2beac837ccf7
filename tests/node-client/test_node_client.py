"""A Node.js client (@grpc/grpc-js + @grpc/proto-loader from npm) against a real server.

The protos reach Node as one FileDescriptorSet compiled here from apis/ with
``--include_imports`` (buf/validate/validate.proto enters as a descriptor: its
.proto text is not shipped by protovalidate). node_modules is not a Bazel
input, so it is found next to the real (symlink-resolved) source of this file;
``npm ci`` in this folder (tools/setup.sh does it) provides it.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from grpc_tools import protoc
from stigmer_common.api_keys import new_key
from stigmer_testing.server_process import ServerProcess, free_port, start_server

pytestmark = pytest.mark.integration

SOURCE_DIR = Path(__file__).resolve().parent


def _tree_root() -> Path:
    """Where apis/ and tools/ are: the runfiles tree under Bazel, else the checkout."""
    if "TEST_SRCDIR" in os.environ:
        return Path(os.environ["TEST_SRCDIR"]) / os.environ.get("TEST_WORKSPACE", "")
    return SOURCE_DIR.parents[1]


def _node_or_skip() -> tuple[str, Path]:
    node = shutil.which("node")
    modules = SOURCE_DIR / "node_modules"
    missing = []
    if node is None:
        missing.append("the node binary")
    if not (modules / "@grpc" / "grpc-js").is_dir():
        missing.append(f"{modules} (run `npm ci` in {SOURCE_DIR})")
    if missing:
        message = "Node.js client test needs " + " and ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    assert node is not None
    return node, SOURCE_DIR / "client.js"


def _load_validate_descriptor_set(root: Path) -> ModuleType:
    path = root / "tools" / "codegen" / "validate_descriptor_set.py"
    spec = importlib.util.spec_from_file_location("validate_descriptor_set", path)
    assert spec is not None and spec.loader is not None, f"cannot load {path}"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_descriptor_set(out: Path) -> Path:
    """Every proto of apis/ and its imports as one binary FileDescriptorSet."""
    root = _tree_root()
    apis = root / "apis"
    protos = sorted(str(p.relative_to(apis)) for p in apis.rglob("*.proto"))
    assert protos, f"no protos under {apis}"
    validate_set = out.parent / "validate.pb"
    builder = _load_validate_descriptor_set(root)
    validate_set.write_bytes(builder.build().SerializeToString())
    well_known = Path(protoc.__file__).parent / "_proto"
    code = protoc.main(
        [
            "grpc_tools.protoc",
            f"--descriptor_set_in={validate_set}",
            f"-I{apis}",
            f"-I{well_known}",
            "--include_imports",
            f"--descriptor_set_out={out}",
            *protos,
        ]
    )
    assert code == 0, f"protoc failed with {code}"
    return out


API_KEY, API_KEY_ENTRY = new_key("node-client", "admin", "*", n=2**4)


def _start(tmp_path: Path, name: str, extra: dict[str, str]) -> ServerProcess:
    # No Temporal: the client only creates and reads; executions stay PENDING.
    return start_server(
        tmp_path / f"data-{name}",
        log_path=tmp_path / f"server-{name}.log",
        env={
            "TEMPORAL_HOST_PORT": f"127.0.0.1:{free_port()}",
            "STIGMER_PAYLOAD_KEYS": "node=" + base64.b64encode(os.urandom(32)).decode(),
            **extra,
        },
    )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    started = _start(tmp_path, "open", {})
    yield started
    assert started.stop() == 0, started.logs()


@pytest.fixture
def server_with_auth(tmp_path: Path) -> Iterator[ServerProcess]:
    started = _start(tmp_path, "auth", {"STIGMER_API_KEYS": API_KEY_ENTRY.line()})
    yield started
    assert started.stop() == 0, started.logs()


def _run_client(
    node: str, script: Path, descriptor_set: Path, address: str, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [node, str(script)],
        env={
            **os.environ,
            "STIGMER_ADDRESS": address,
            "STIGMER_DESCRIPTOR_SET": str(descriptor_set),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def node_client() -> tuple[str, Path]:
    """(node binary, client script); requested first so a skip costs no server start."""
    return _node_or_skip()


def test_node_client_creates_an_execution_and_reads_it_back(
    node_client: tuple[str, Path], server: ServerProcess, tmp_path: Path
) -> None:
    node, script = node_client
    descriptor_set = build_descriptor_set(tmp_path / "stigmer.pb")
    result = _run_client(node, script, descriptor_set, server.address, STIGMER_RUN_ID="t1")
    assert result.returncode == 0, f"node failed:\n{result.stderr}\nserver:\n{server.logs()}"
    reply = json.loads(result.stdout)
    assert reply["workflow_id"].startswith("wfl-")
    assert reply["execution_id"].startswith("wex-")
    assert reply["read_back_id"] == reply["execution_id"]
    assert reply["read_back_workflow_id"] == reply["workflow_id"]
    assert reply["read_back_instance_id"].startswith("win-")  # default instance, on demand
    assert reply["read_back_phase"] == "PENDING"
    assert reply["read_back_trigger_message"] == "started from node"
    assert reply["read_back_input_who"] == "node"


def test_node_client_reports_server_errors(node_client: tuple[str, Path], tmp_path: Path) -> None:
    """The script fails loudly (non-zero, gRPC code on stderr) when the call fails."""
    node, script = node_client
    descriptor_set = build_descriptor_set(tmp_path / "stigmer.pb")
    # Nothing listens here: the first call must fail with UNAVAILABLE.
    result = _run_client(node, script, descriptor_set, f"127.0.0.1:{free_port()}")
    assert result.returncode != 0
    assert "Create: UNAVAILABLE" in result.stderr


def test_node_client_with_api_key(
    node_client: tuple[str, Path], server_with_auth: ServerProcess, tmp_path: Path
) -> None:
    """With auth on, the bearer key is required and sufficient."""
    node, script = node_client
    descriptor_set = build_descriptor_set(tmp_path / "stigmer.pb")
    refused = _run_client(node, script, descriptor_set, server_with_auth.address)
    assert refused.returncode != 0
    assert "Create: UNAUTHENTICATED" in refused.stderr
    accepted = _run_client(
        node, script, descriptor_set, server_with_auth.address, STIGMER_API_KEY=API_KEY
    )
    assert accepted.returncode == 0, accepted.stderr
    reply = json.loads(accepted.stdout)
    assert reply["read_back_id"] == reply["execution_id"]
    assert API_KEY not in server_with_auth.logs()
