"""The ``run: shell`` and ``run: script`` activities: real subprocesses on the worker.

Exit-code rule (the spec is silent; this is our choice, documented in
``docs/``): with ``return: stdout`` or ``none`` a non-zero exit is a ``runtime``
error whose detail carries stderr, because the caller asked for a result the
process did not produce; with ``stderr``, ``code`` or ``all`` the caller asked
to see the failure, so it is returned, not raised.

Environment: processes get a minimal base environment (``PATH``, ``HOME``,
``LANG``, ``TMPDIR``) plus the task's ``environment``, never the worker's full
environment, which may hold credentials.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from temporalio import activity

from workflow_runner.activities import names
from workflow_runner.activities.problem import problem
from workflow_runner.activities.process_models import (
    RETURN_MODES,
    ProcessOutput,
    RunScriptInput,
    RunShellInput,
)
from workflow_runner.activities.resource_fetch import ResourceFetcher

_INHERITED_ENV: Final = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")
# Output kept per stream (the rest is dropped): a task output is one Temporal
# payload (2 MB hard limit), and `return: all` carries both streams.
MAX_STREAM_CHARS: Final = 500_000
# How often a waiting process activity heartbeats (the engine sets the timeout).
HEARTBEAT_SECONDS: Final = 2.0


@dataclass(frozen=True)
class Interpreters:
    """Commands running scripts, per language (configurable for deployments).

    Attributes:
        python: Argv prefix for Python scripts (default: this interpreter,
            isolated from the worker's site-packages paths via ``-I``).
        node: Argv prefix for JavaScript; ``--experimental-detect-module`` lets
            one ``.js`` file be either an ES module (``import``) or CommonJS.
    """

    python: tuple[str, ...] = (sys.executable, "-I")
    node: tuple[str, ...] = ("node", "--experimental-detect-module", "--no-warnings")


def _check_return_mode(mode: str) -> None:
    if mode not in RETURN_MODES:
        raise problem(
            "configuration",
            "Invalid run return mode",
            f"'return' must be one of {', '.join(RETURN_MODES)}, got '{mode}'",
        )


def _environment(extra: dict[str, str]) -> dict[str, str]:
    env = {name: os.environ[name] for name in _INHERITED_ENV if name in os.environ}
    env.update({str(k): str(v) for k, v in extra.items()})
    return env


def _shape(mode: str, code: int, stdout: str, stderr: str, what: str) -> Any:
    if code != 0 and mode in ("stdout", "none"):
        raise problem(
            "runtime",
            "Process failed",
            f"{what} exited with code {code}; stderr: {stderr.strip() or '(empty)'}",
        )
    if mode == "stdout":
        return stdout
    if mode == "stderr":
        return stderr
    if mode == "code":
        return code
    if mode == "all":
        return {"code": code, "stdout": stdout, "stderr": stderr}
    return None


class ProcessActivities:
    """Runs shell commands and scripts as subprocesses.

    Args:
        fetcher: Reads ``source`` scripts.
        interpreters: Commands per script language.
        default_timeout_seconds: Process time limit when the input sets none.
        work_dir: Where script files are written (default: the system temp dir).
    """

    def __init__(
        self,
        fetcher: ResourceFetcher,
        interpreters: Interpreters | None = None,
        default_timeout_seconds: float = 600.0,
        work_dir: Path | None = None,
    ) -> None:
        self._fetcher = fetcher
        self._interpreters = interpreters or Interpreters()
        self._default_timeout = default_timeout_seconds
        self._work_dir = work_dir
        # Detached (await: false) processes, kept referenced until they exit.
        self._background: set[asyncio.Task[None]] = set()

    @activity.defn(name=names.RUN_SHELL)
    async def run_shell(self, run: RunShellInput) -> ProcessOutput:
        """Run ``/bin/sh -c command sh args...``; fail with a problem-details error."""
        _check_return_mode(run.return_mode)
        if not run.command.strip():
            raise problem("configuration", "Empty shell command", "'shell.command' is empty")
        argv = ["/bin/sh", "-c", run.command, "sh", *[str(a) for a in run.arguments]]
        return await self._run(
            argv,
            run.stdin,
            run.environment,
            run.return_mode,
            run.await_completion,
            run.timeout_seconds,
            "shell command",
        )

    @activity.defn(name=names.RUN_SCRIPT)
    async def run_script(self, run: RunScriptInput) -> ProcessOutput:
        """Run the script with its interpreter; fail with a problem-details error."""
        _check_return_mode(run.return_mode)
        language = run.language.lower()
        if language == "python":
            prefix, suffix = self._interpreters.python, ".py"
        elif language in ("js", "javascript"):
            prefix, suffix = self._interpreters.node, ".js"
        else:
            raise problem(
                "configuration",
                "Unsupported script language",
                f"'script.language' must be python, js or javascript, got '{run.language}'",
            )
        if (run.code is None) == (run.source_uri is None):
            raise problem(
                "configuration",
                "Invalid script",
                "exactly one of 'script.code' and 'script.source' must be set",
            )
        code = run.code
        if code is None:
            assert run.source_uri is not None
            code = await self._fetcher.read_text(run.source_uri, "script.source.endpoint")
        script = await asyncio.to_thread(_write_script, code, suffix, self._work_dir)
        directory = str(script.parent)
        argv = [*prefix, str(script), *[str(a) for a in run.arguments]]
        try:
            return await self._run(
                argv,
                run.stdin,
                run.environment,
                run.return_mode,
                run.await_completion,
                run.timeout_seconds,
                f"{language} script",
                cwd=directory,
            )
        finally:
            # A detached process may still be reading its script: it cleans up on exit.
            if run.await_completion:
                await asyncio.to_thread(shutil.rmtree, directory, True)

    async def _run(
        self,
        argv: list[str],
        stdin: str | None,
        environment: dict[str, str],
        return_mode: str,
        await_completion: bool,
        timeout_seconds: float | None,
        what: str,
        cwd: str | None = None,
    ) -> ProcessOutput:
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE if await_completion else asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE if await_completion else asyncio.subprocess.DEVNULL,
                env=_environment(environment),
                cwd=cwd,
                # Own process group, so a timeout kills the command's children too.
                start_new_session=True,
            )
        except OSError as exc:
            raise problem(
                "configuration",
                "Process could not start",
                f"{what}: cannot execute {argv[0]!r}: {exc.strerror or exc}",
            ) from exc
        stdin_bytes = stdin.encode() if stdin is not None else None
        if not await_completion:
            task = asyncio.create_task(self._detached(process, stdin_bytes, cwd))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            return ProcessOutput(value=None)
        timeout = timeout_seconds if timeout_seconds is not None else self._default_timeout
        try:
            out, err = await _communicate_with_heartbeats(process, stdin_bytes, timeout)
        except TimeoutError as exc:
            _kill_group(process)
            await process.wait()
            raise problem(
                "timeout", "Process timed out", f"{what} did not finish within {timeout} s"
            ) from exc
        except asyncio.CancelledError:
            # Activity cancelled (e.g. the workflow's task timed out): do not leak it.
            _kill_group(process)
            raise
        assert process.returncode is not None
        stdout = out.decode("utf-8", errors="replace")[:MAX_STREAM_CHARS]
        stderr = err.decode("utf-8", errors="replace")[:MAX_STREAM_CHARS]
        return ProcessOutput(value=_shape(return_mode, process.returncode, stdout, stderr, what))

    @staticmethod
    async def _detached(
        process: asyncio.subprocess.Process, stdin: bytes | None, script_dir: str | None
    ) -> None:
        """Reap a detached process (no zombie) and remove its script once it exits."""
        try:
            await process.communicate(stdin)
        finally:
            if script_dir is not None:
                await asyncio.to_thread(shutil.rmtree, script_dir, True)


def _write_script(code: str, suffix: str, work_dir: Path | None) -> Path:
    """Write ``code`` to a file in a fresh private directory (interpreters need a path)."""
    directory = Path(tempfile.mkdtemp(prefix="stigmer-script-", dir=work_dir))
    script = directory / f"script{suffix}"
    script.write_text(code, encoding="utf-8")
    return script


async def _communicate_with_heartbeats(
    process: asyncio.subprocess.Process, stdin: bytes | None, limit_seconds: float
) -> tuple[bytes, bytes]:
    """``process.communicate`` within ``limit_seconds``, heartbeating meanwhile.

    Heartbeats are how a running activity learns it was cancelled (the task's
    ``timeout`` elapsed, the workflow was cancelled), so a long process is
    killed instead of outliving the task that started it.

    Raises:
        TimeoutError: the process did not finish in time (it is still running).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_seconds
    exchange = asyncio.ensure_future(process.communicate(stdin))
    try:
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError
            done, _ = await asyncio.wait({exchange}, timeout=min(HEARTBEAT_SECONDS, remaining))
            if done:
                return exchange.result()
            activity.heartbeat()
    finally:
        if not exchange.done():
            exchange.cancel()


def _kill_group(process: asyncio.subprocess.Process) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
