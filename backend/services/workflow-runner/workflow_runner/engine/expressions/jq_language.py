"""jq programs, compiled once and evaluated many times, safe for workflow code.

The ``jq`` package binds libjq (a C extension). It is imported through
``workflow.unsafe.imports_passed_through()`` so Temporal's sandbox does not try
to re-import it for every workflow run, and compiled programs are cached per
(expression, bound variable names): compiling is deterministic, so sharing the
cache between workflow runs is safe.

Determinism: libjq offers a few builtins that read the outside world. In a
Temporal workflow they would make replays diverge, so every program is wrapped
in a prelude that redefines them:

* ``now`` returns the workflow's deterministic clock (``workflow.now()``),
  passed in as a hidden argument;
* ``env`` returns ``{}`` and ``localtime``/``strflocaltime`` behave as their
  UTC counterparts (the worker's time zone is not workflow state);
* ``input``/``inputs`` raise an error (there is no input stream);
* ``$ENV`` cannot be redefined in jq, so expressions using it are rejected at
  compile time with a clear message.

libjq has no random builtin, so nothing else needs replacing.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    import jq

_VARIABLE: Final = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_NOW_ARG: Final = "__stigmer_now"
_PRELUDE: Final = (
    f"def now: ${_NOW_ARG}; "
    "def env: {}; "
    'def input: error("input is not available in workflow expressions"); '
    'def inputs: error("inputs is not available in workflow expressions"); '
    "def localtime: gmtime; "
    "def strflocaltime(f): strftime(f); "
)

_cache: dict[tuple[str, tuple[str, ...]], CompiledExpression] = {}
_cache_lock = threading.Lock()


class ExpressionSyntaxError(ValueError):
    """The expression does not compile (syntax, unknown variable, forbidden builtin)."""


class ExpressionRuntimeError(ValueError):
    """The expression compiled but failed on this input."""


@dataclass(frozen=True)
class CompiledExpression:
    """A compiled jq program and the variable names it binds, in order."""

    source: str
    variables: tuple[str, ...]
    _program: Any

    def evaluate(self, data: Any, variables: Mapping[str, Any], *, now: float) -> Any:
        """Run on ``data`` with the given variables; first result, or None if empty.

        Args:
            data: the value ``.`` refers to.
            variables: values for the names in :attr:`variables` (missing -> null).
            now: epoch seconds returned by ``now`` (the workflow's clock).

        Raises:
            ExpressionRuntimeError: jq raised an error.
        """
        bound = [now, *(variables.get(name) for name in self.variables), data]
        try:
            results = self._program.input_value(bound).all()
        except ValueError as exc:
            raise ExpressionRuntimeError(str(exc)) from exc
        return results[0] if results else None


def referenced_variables(source: str) -> set[str]:
    """Names of the ``$variables`` a jq program mentions (a superset is fine)."""
    return set(_VARIABLE.findall(source))


def compile_expression(source: str, available: Iterable[str]) -> CompiledExpression:
    """Compile ``source`` (without ``${ }``), binding the available variables it uses.

    Args:
        source: a jq program.
        available: variable names (without ``$``) that may be bound at run time.

    Raises:
        ExpressionSyntaxError: the program does not compile or uses ``$ENV``.
    """
    used = referenced_variables(source)
    if "ENV" in used:
        raise ExpressionSyntaxError(
            f"{source!r}: $ENV is not available (environment access is not deterministic)"
        )
    names = tuple(sorted(used & set(available)))
    key = (source, names)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    pattern = ", ".join(f"${n}" for n in (_NOW_ARG, *names))
    # `. as [$now, $a, ...]` destructures the bound array; the last element is
    # the data `.` refers to. The user program runs in parentheses so its own
    # `def`s stay local.
    program_text = f". as [{pattern}] | {_PRELUDE}.[{len(names) + 1}] | ({source}\n)"
    try:
        program = jq.compile(program_text)
    except ValueError as exc:
        raise ExpressionSyntaxError(f"{source!r}: {_first_line(str(exc))}") from exc
    compiled = CompiledExpression(source=source, variables=names, _program=program)
    with _cache_lock:
        _cache[key] = compiled
    return compiled


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else message
