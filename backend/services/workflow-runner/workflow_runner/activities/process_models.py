"""Inputs and outputs of the ``run: shell`` and ``run: script`` activities.

All values are resolved by the engine (expressions evaluated); ``return_mode``
is passed so the activity applies the exit-code rule and only the requested part
of the result crosses into workflow history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RETURN_MODES: tuple[str, ...] = ("stdout", "stderr", "code", "all", "none")


@dataclass(frozen=True)
class RunShellInput:
    """A shell command run with ``/bin/sh -c``.

    Attributes:
        command: The command text; ``arguments`` are its ``$1``, ``$2``, ...
        arguments: Positional arguments.
        environment: Extra environment variables.
        stdin: Text written to the process's standard input.
        return_mode: ``stdout`` (default), ``stderr``, ``code``, ``all`` or ``none``.
        await_completion: ``False`` starts the process and returns at once.
        timeout_seconds: Kill the process after this long (``None``: class default).
    """

    command: str
    arguments: list[str] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    stdin: str | None = None
    return_mode: str = "stdout"
    await_completion: bool = True
    timeout_seconds: float | None = None


@dataclass(frozen=True)
class RunScriptInput:
    """A script run by its language's interpreter.

    Attributes:
        language: ``python``, ``js`` or ``javascript``.
        code: Inline code (exactly one of ``code``/``source_uri``).
        source_uri: ``file:``/``http(s):`` URI of the code.
        arguments: ``argv`` after the script name.
        environment: Extra environment variables.
        stdin: Text written to the process's standard input.
        return_mode: As for shell.
        await_completion: As for shell.
        timeout_seconds: As for shell.
    """

    language: str
    code: str | None = None
    source_uri: str | None = None
    arguments: list[str] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    stdin: str | None = None
    return_mode: str = "stdout"
    await_completion: bool = True
    timeout_seconds: float | None = None


@dataclass(frozen=True)
class ProcessOutput:
    """The task's raw output, shaped by ``return_mode``.

    Attributes:
        value: stdout/stderr text, the exit code, ``{code, stdout, stderr}``,
            or ``None`` (``none`` mode, or ``await: false``).
    """

    value: Any
