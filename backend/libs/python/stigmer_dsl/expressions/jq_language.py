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

import json
import re
import threading
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from temporalio import workflow

from stigmer_dsl.expressions.native import FALLBACK, NativeEvaluator, compile_native, parsable_by_jq

with workflow.unsafe.imports_passed_through():
    import jq

_VARIABLE: Final = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_NOW_CALL: Final = re.compile(r"\bnow\b")
_NOW_ARG: Final = "__stigmer_now"
_INDEX_ARG: Final = "__stigmer_expression"
_PRELUDE: Final = (
    f"def now: ${_NOW_ARG}; "
    "def env: {}; "
    'def input: error("input is not available in workflow expressions"); '
    'def inputs: error("inputs is not available in workflow expressions"); '
    "def localtime: gmtime; "
    "def strflocaltime(f): strftime(f); "
)
#: Programs compiled together by :func:`compile_expressions`. libjq binds its
#: builtin library at every compile (~2 ms here), so one program holding 64
#: expressions compiles ~10x faster per expression than 64 programs.
BATCH_SIZE: Final = 64
#: An expression evaluated this often through a batch program gets a program
#: of its own: dispatching inside a batch adds ~10 us per evaluation, so a hot
#: expression (a loop body) repays its own ~2 ms compile.
OWN_PROGRAM_AFTER: Final = 64

_cache: dict[tuple[str, tuple[str, ...]], CompiledExpression] = {}
#: The ``$names`` each source mentions, sorted (looked up on every evaluation).
_references: dict[str, tuple[str, ...]] = {}
_cache_lock = threading.Lock()


class ExpressionSyntaxError(ValueError):
    """The expression does not compile (syntax, unknown variable, forbidden builtin)."""


class ExpressionRuntimeError(ValueError):
    """The expression compiled but failed on this input."""


@dataclass
class CompiledExpression:
    """A compiled jq program and the variable names it binds, in order.

    The program may hold other expressions too (a batch); ``index`` selects
    this one. Which program runs never changes a result, so sharing and
    promoting programs between workflow runs is deterministic.

    A program in :mod:`.native`'s subset also gets a Python evaluator, used
    when the values at hand are in the subset (same results as jq's).
    """

    source: str
    variables: tuple[str, ...]
    _program: Any
    _index: int = 0
    _batched: bool = False
    _uses: int = 0
    #: Whether ``now`` may be called (a superset: a word match in the source).
    reads_clock: bool = field(init=False)
    _native: NativeEvaluator | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.reads_clock = _NOW_CALL.search(self.source) is not None
        # The subset uses no variables: a program binding any is left to jq.
        self._native = None if self.variables else compile_native(self.source)

    def evaluate(
        self, data: Any, variables: Mapping[str, Any], *, now: float | Callable[[], float]
    ) -> Any:
        """Run on ``data`` with the given variables; first result, or None if empty.

        Args:
            data: the value ``.`` refers to.
            variables: values for the names in :attr:`variables` (missing -> null).
            now: epoch seconds returned by ``now`` (the workflow's clock).

        Raises:
            ExpressionRuntimeError: jq raised an error.
        """
        return self.evaluate_measured(data, variables, now=now)[0]

    def evaluate_measured(
        self, data: Any, variables: Mapping[str, Any], *, now: float | Callable[[], float]
    ) -> tuple[Any, int]:
        """:meth:`evaluate`, plus the size of the JSON text handed to jq (a cost measure).

        ``now`` may be a function: it is called only when the program reads the
        clock (reading the workflow clock costs more than many evaluations).

        A native evaluation (see :mod:`.native`) builds the same text and
        counts the use just as jq's would: the size is charged to the
        workflow's pacing, and the text holds the program's index, which
        changes when a hot program gets a program of its own.
        """
        if self._batched:
            self._count_use()
        if callable(now):
            now = now() if self.reads_clock else 0.0
        # What the binding's input_value does, made explicit to get the size.
        text = _json_text([now, self._index, [variables.get(n) for n in self.variables], data])
        native = self._native
        if native is not None and parsable_by_jq(text):
            result = native(data)
            if result is not FALLBACK:
                return result, len(text)
        program = self._program
        if program is None:  # promoted while evaluated natively, see _count_use
            program = self._program = jq.compile(_single_program_text(self))
        try:
            results = program.input_text(text).all()
        except ValueError as exc:
            raise ExpressionRuntimeError(str(exc)) from exc
        return (results[0] if results else None), len(text)

    def _count_use(self) -> None:
        """Count a use of the batch program; a hot expression gets a program of its own.

        A natively evaluated expression may never need jq again: its program
        is compiled when it does (~2 ms saved per hot expression).
        """
        self._uses += 1
        if self._uses >= OWN_PROGRAM_AFTER:
            self._program = (
                None if self._native is not None else jq.compile(_single_program_text(self))
            )
            self._index, self._batched = 0, False


_ENCODER: Final = json.JSONEncoder()


def _json_text(value: list[Any]) -> str:
    """``json.dumps(value)`` without ``encode``'s type checks (slow in the sandbox)."""
    return "".join(_ENCODER.iterencode(value, _one_shot=True))


def referenced_variables(source: str) -> set[str]:
    """Names of the ``$variables`` a jq program mentions (a superset is fine)."""
    return set(_VARIABLE.findall(source))


def compile_expression(source: str, available: Container[str]) -> CompiledExpression:
    """Compile ``source`` (without ``${ }``), binding the available variables it uses.

    Args:
        source: a jq program.
        available: variable names (without ``$``) that may be bound at run time.

    Raises:
        ExpressionSyntaxError: the program does not compile or uses ``$ENV``.
    """
    key = _key(source, available)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    try:
        program = jq.compile(_program_text([key]))
    except ValueError as exc:
        raise ExpressionSyntaxError(f"{source!r}: {_first_line(str(exc))}") from exc
    compiled = CompiledExpression(source=source, variables=key[1], _program=program)
    with _cache_lock:
        _cache[key] = compiled
    return compiled


def compile_expressions(requests: Iterable[tuple[str, Container[str]]]) -> None:
    """Compile many programs into the cache at once, :data:`BATCH_SIZE` per jq program.

    Same arguments as :func:`compile_expression`. Nothing is raised: a batch
    that does not compile is left out, so compiling its programs one by one
    (:func:`compile_expression`) reports each error as usual.
    """
    pending: dict[tuple[str, tuple[str, ...]], None] = {}  # ordered, unique
    for source, available in requests:
        if "ENV" in referenced_variables(source):
            continue
        key = _key(source, available)
        if key not in _cache:
            pending[key] = None
    pending_keys = list(pending)
    for start in range(0, len(pending_keys), BATCH_SIZE):
        batch = pending_keys[start : start + BATCH_SIZE]
        if len(batch) == 1:
            continue  # compiled alone when first used
        try:
            program = jq.compile(_program_text(batch))
        except ValueError:
            continue
        with _cache_lock:
            for index, (source, names) in enumerate(batch):
                _cache.setdefault(
                    (source, names),
                    CompiledExpression(source, names, program, _index=index, _batched=True),
                )


def _key(source: str, available: Container[str]) -> tuple[str, tuple[str, ...]]:
    used = _references.get(source)
    if used is None:
        used = tuple(sorted(referenced_variables(source)))
        _references[source] = used  # racing threads store the same value
    if "ENV" in used:
        raise ExpressionSyntaxError(
            f"{source!r}: $ENV is not available (environment access is not deterministic)"
        )
    return source, tuple(name for name in used if name in available)


def _program_text(expressions: Sequence[tuple[str, tuple[str, ...]]]) -> str:
    """One jq program for ``expressions``; its input is ``[now, index, [variables], data]``.

    The clock and the expression index are bound first, then the prelude; the
    selected expression destructures its variables and runs on the data. Each
    user program runs in parentheses (its own ``def``s stay local) and ends
    with a newline (a trailing ``#`` comment cannot swallow the parenthesis).
    """

    def leaf(source: str, names: tuple[str, ...]) -> str:
        bind = f".[2] as [{', '.join(f'${n}' for n in names)}] | " if names else ""
        return f"({bind}.[3] | ({source}\n))"

    def tree(low: int, high: int) -> str:
        if high - low == 1:
            return leaf(*expressions[low])
        middle = (low + high) // 2
        return f"if ${_INDEX_ARG} < {middle} then {tree(low, middle)} else {tree(middle, high)} end"

    return f".[0] as ${_NOW_ARG} | .[1] as ${_INDEX_ARG} | {_PRELUDE}{tree(0, len(expressions))}"


def _single_program_text(expression: CompiledExpression) -> str:
    return _program_text([(expression.source, expression.variables)])


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else message
