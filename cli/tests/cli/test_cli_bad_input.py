"""Every bad input to ``stigmer`` is one readable line on stderr and the documented exit code.

No server is needed: each input is refused before anything is sent (an
unreachable ``--server`` proves it: reaching it would exit 3, not 2). Most cases
call the command's ``main`` in this process (a CLI process starts in seconds on
a loaded machine); a few run it as a process to show nothing else reaches the
terminal.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from stigmer_cli.app import main

UNREACHABLE = "127.0.0.1:1"


def stigmer_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    env["STIGMER_PAYLOAD_KEYS"] = "k1=" + base64.b64encode(os.urandom(32)).decode()
    env.pop("TEMPORAL_HOST_PORT", None)
    env.pop("STIGMER_SERVER", None)
    return env


def _stigmer(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stigmer_cli", *args],
        cwd=cwd,
        env={**stigmer_env(), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _nested_for(levels: int) -> str:
    """A DSL document with ``levels`` for-loops inside each other."""
    lines = ["document: {dsl: '1.0.0', namespace: t, name: deep, version: '1.0.0'}", "do:"]
    indent = "  "
    for level in range(levels):
        lines += [f"{indent}- l{level}:", f"{indent}    for: {{each: x, in: '${{ [1] }}'}}"]
        lines.append(f"{indent}    do:")
        indent += "      "
    lines += [f"{indent}- leaf:", f"{indent}    set: {{a: 1}}"]
    return "\n".join(lines) + "\n"


def _main(capsys: pytest.CaptureFixture[str], *args: str) -> subprocess.CompletedProcess[str]:
    """``stigmer ARGS`` in this process, as a finished process would report it."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(["stigmer", *args], code, out, err)


def _one_line(result: subprocess.CompletedProcess[str], code: int, expected: str) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert expected in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        # protobuf's decoder stops at 100 nested messages: 12 loops exceed it
        (_nested_for(12).encode(), "nested too deep for a protobuf message; the limit is 100"),
        (_nested_for(200).encode(), "nested too deep to read; the limit is 100 levels"),
        ((b"a: " + b"[" * 10_000 + b"]" * 10_000), "nested too deep to read; the limit is 100"),
        ((b"a: " + b"[" * 120 + b"]" * 120), "nested 121 levels deep; the limit is 100 levels"),
        (
            b"document: {dsl: '1.0.0', namespace: t, name: caf\xe9, version: '1'}\ndo: []\n",
            "not UTF-8 (byte 0xe9 on line 1)",
        ),
        (
            _nested_for(1).replace("{a: 1}", "{a: [1, .nan]}").encode(),
            "do[0].l0.do[0].leaf.set.a[1]: nan is not a JSON number (numbers must be finite)",
        ),
    ],
    ids=[
        "for-12-levels",
        "for-200-levels",
        "yaml-10000-levels",
        "yaml-121-levels",
        "latin-1",
        "yaml-nan",
    ],
)
def test_bad_file_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, expected: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    result = _main(capsys, "apply", "-f", str(path), "--server", UNREACHABLE)
    _one_line(result, 2, f"bad.yaml: {expected}")


def test_bad_file_as_a_process_prints_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(_nested_for(12), encoding="utf-8")
    result = _stigmer("apply", "-f", "bad.yaml", "--server", UNREACHABLE, cwd=tmp_path)
    _one_line(result, 2, "bad.yaml: nested too deep for a protobuf message; the limit is 100")


def test_a_loop_nesting_within_the_limit_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 11 levels fit in 100 protobuf messages: the file is fine, only the server is missing.
    (tmp_path / "ok.yaml").write_text(_nested_for(11), encoding="utf-8")
    result = _main(capsys, "apply", "-f", str(tmp_path / "ok.yaml"), "--server", UNREACHABLE)
    _one_line(result, 3, "stigmer-server is not reachable")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("run", "w", "--input", '{"x": NaN}'), "--input: NaN is not a JSON number"),
        (("run", "w", "--input", '{"x": -Infinity}'), "--input: -Infinity is not a JSON number"),
        (("run", "w", "--input", '{"x": ' + "[" * 5000 + "]" * 5000 + "}"), "limit is 100"),
        (("run", "w", "--input", '{"x": ' + "[" * 150 + "]" * 150 + "}"), "limit is 100 levels"),
        # within the JSON limit but deeper than a protobuf message holds
        (("run", "w", "--input", '{"x": ' + "[" * 50 + "]" * 50 + "}"), "protobuf message"),
        (("run", "w", "--input", "{nope"), "--input: not valid JSON"),
        (("emit", "--type", "t", "--source", "s", "--data", "NaN"), "--data: NaN is not"),
        (("get", "nothing-known"), "is not an id"),
        (("list", "gizmos"), "KIND: unknown kind 'gizmos'"),
        (("describe", " "), "EXECUTION must be an execution id"),
        (("run",), "Missing argument 'WORKFLOW'"),
        (("run", "w", "--bogus"), "stigmer run: No such option '--bogus'"),
        (("list", "executions", "-o", "xml"), "'xml' is not one of"),
        (("frobnicate",), "No such command 'frobnicate'"),
        (("completion", "tcsh"), "'tcsh' is not one of"),
    ],
)
def test_bad_argument_is_one_line_exit_2(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    expected: str,
) -> None:
    # STIGMER_SERVER points nowhere: reaching for the server would exit 3, not 2.
    monkeypatch.setenv("STIGMER_SERVER", UNREACHABLE)
    _one_line(_main(capsys, *args), 2, expected)


def test_nan_input_as_a_process_prints_no_traceback(tmp_path: Path) -> None:
    result = _stigmer("run", "w", "--input", '{"x": NaN}', cwd=tmp_path, STIGMER_SERVER=UNREACHABLE)
    _one_line(result, 2, "--input: NaN is not a JSON number (JSON numbers are finite)")


@pytest.mark.parametrize(
    "args",
    [
        ("run", "hello"),
        ("list", "executions"),
        ("get", "wex-01abc"),
        ("describe", "wex-01abc"),
        ("watch", "wex-01abc"),
        ("cancel", "wex-01abc"),
    ],
)
def test_unreachable_server_is_one_line_exit_3(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    _one_line(_main(capsys, *args, "--server", UNREACHABLE), 3, "stigmer-server is not reachable")


def test_unreachable_server_from_the_environment_alias(tmp_path: Path) -> None:
    env = stigmer_env()
    env["STIGMER_SERVICE_ENDPOINT"] = UNREACHABLE  # the runners' older name still works
    result = subprocess.run(
        [sys.executable, "-m", "stigmer_cli", "list", "workflows"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    _one_line(result, 3, "127.0.0.1:1")


def test_unreachable_event_endpoint_is_exit_3(tmp_path: Path) -> None:
    result = _stigmer("emit", "--type", "t", "--source", "s", "--events", UNREACHABLE, cwd=tmp_path)
    _one_line(result, 3, "the event endpoint http://127.0.0.1:1/ is not reachable")


def test_server_on_a_busy_port_is_one_line_exit_2(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        address = f"127.0.0.1:{busy.getsockname()[1]}"
        result = _stigmer(
            "server", "--data-dir", str(tmp_path / "data"), "--address", address, cwd=tmp_path
        )
    _one_line(result, 2, f"--address {address}: cannot listen there (Address already in use)")
    assert not (tmp_path / "data" / "logs").exists()  # refused before anything started


def test_version_and_completion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    version = _stigmer("--version", cwd=tmp_path)
    assert (version.returncode, version.stdout) == (0, "stigmer 0.1.0\n")
    for shell in ("bash", "zsh", "fish"):
        script = _main(capsys, "completion", shell)
        assert script.returncode == 0
        assert f"_STIGMER_COMPLETE={shell}_" in script.stdout.replace("_complete", "_")
    # The script's protocol: the shell sets the variable and COMP_WORDS; we answer.
    monkeypatch.setenv("_STIGMER_COMPLETE", "bash_complete")
    monkeypatch.setenv("COMP_WORDS", "stigmer de")
    monkeypatch.setenv("COMP_CWORD", "1")
    answer = _main(capsys)
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.splitlines() == ["plain,demo", "plain,describe"]
    monkeypatch.setenv("COMP_WORDS", "stigmer list ex")
    monkeypatch.setenv("COMP_CWORD", "2")
    answer = _main(capsys)
    assert answer.stdout.splitlines() == ["plain,executions", "plain,execution-contexts"]
