"""Evaluating runtime expressions inside values, in ``strict`` or ``loose`` mode.

Two kinds of fields hold expressions:

* *expression fields* (``if``, ``when``, ``while``, ``for.in``, ``input.from``,
  ``output.as``, ``export.as``, ``until``, ``exceptWhen``...) are always
  expressions; the CTK writes them without ``${ }``, so the wrapper is optional;
* *value fields* (``set``, ``with``, event attributes...) are data in which a
  string is an expression only when wrapped in ``${ }`` (``strict``, the
  default), or any string is tried as one (``loose``: a string that does not
  evaluate stays as it is).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from stigmer_dsl.errors import WorkflowError
from stigmer_dsl.expressions.jq_language import (
    ExpressionRuntimeError,
    ExpressionSyntaxError,
    compile_expression,
    compile_expressions,
)
from stigmer_dsl.pacing import COMPILE_COST, WorkMeter, expression_cost

#: Runtime expression arguments defined by dsl.md, always bound (null when a
#: stage does not provide them) so a program compiles the same everywhere.
STANDARD_ARGUMENTS: Final = (
    "context",
    "input",
    "output",
    "secrets",
    "task",
    "workflow",
    "runtime",
    "authorization",
)


_STANDARD: Final = frozenset(STANDARD_ARGUMENTS)
#: Values that hold no expression (exact types; see ``evaluate_value``).
_SCALARS: Final = frozenset({int, float, bool, type(None)})


class _Bindable:
    """The names an evaluation may bind: the standard arguments and the given variables.

    A view, not a new set: it is asked about the few names a program mentions,
    once per evaluation.
    """

    __slots__ = ("_variables",)

    def __init__(self, variables: Mapping[str, Any]) -> None:
        self._variables = variables

    def __contains__(self, name: object) -> bool:
        return name in _STANDARD or name in self._variables


class EvaluationMode(enum.Enum):
    """``evaluate.mode`` of a workflow."""

    STRICT = "strict"
    LOOSE = "loose"


def is_strict_expression(value: str) -> bool:
    """Whether a string is a ``${ ... }`` runtime expression."""
    text = value.strip()
    return text.startswith("${") and text.endswith("}")


def strip_expression(value: str) -> str:
    """The jq program inside ``${ }`` (or the string itself when not wrapped)."""
    text = value.strip()
    if is_strict_expression(text):
        return text[2:-1].strip()
    return text


class ExpressionEvaluator:
    """Evaluates expressions for one workflow run.

    Args:
        mode: the workflow's ``evaluate.mode``.
        clock: returns the epoch seconds jq's ``now`` yields; in a workflow this
            reads ``workflow.now()`` so replays see the same value.
    """

    def __init__(
        self, mode: EvaluationMode, clock: Callable[[], float], meter: WorkMeter | None = None
    ) -> None:
        self.mode = mode
        self._clock = clock
        #: Charged for every evaluation (see :mod:`stigmer_dsl.pacing`).
        self.meter = meter

    # -- compile-time checks -----------------------------------------------------------------
    @staticmethod
    def check(source: str, scope_variables: Iterable[str] = ()) -> None:
        """Compile an expression-field program now so errors surface at load.

        Raises:
            ExpressionSyntaxError: it does not compile.
        """
        compile_expression(strip_expression(source), (*STANDARD_ARGUMENTS, *scope_variables))

    def check_value(self, value: Any, scope_variables: Iterable[str] = ()) -> None:
        """Compile every ``${ }`` expression inside a value (strict mode only).

        Loose mode cannot be checked: any string may turn out to be plain text.
        """
        names = tuple(scope_variables)
        for text in self.expressions_in(value):
            self.check(text, names)

    def expressions_in(self, value: Any) -> list[str]:
        """The ``${ }`` expressions inside a value (none in loose mode, see :meth:`check_value`)."""
        if self.mode is EvaluationMode.LOOSE:
            return []
        return [text for text in _strings(value) if is_strict_expression(text)]

    @staticmethod
    def precompile(expressions: Iterable[tuple[str, Iterable[str]]]) -> None:
        """Compile many expression fields at once (far cheaper than one by one).

        ``(source, scope variables)`` pairs as :meth:`check` takes them; errors
        are left for :meth:`check` to report.
        """
        compile_expressions(
            (strip_expression(source), (*STANDARD_ARGUMENTS, *scope))
            for source, scope in expressions
        )

    # -- run time ----------------------------------------------------------------------------
    def evaluate_expression(
        self, source: str, data: Any, variables: Mapping[str, Any], *, where: str = ""
    ) -> Any:
        """Evaluate an expression field (``${ }`` optional) against ``data``.

        Raises:
            WorkflowError: an ``expression`` error naming the field and program.
        """
        program = strip_expression(source)
        try:
            compiled = compile_expression(program, _Bindable(variables))
            result, size = compiled.evaluate_measured(data, variables, now=self._clock)
        except (ExpressionSyntaxError, ExpressionRuntimeError) as exc:
            if self.meter is not None:
                # A program that does not compile is compiled again at each try
                # (loose mode tries every string): charge a compile.
                failed_compile = isinstance(exc, ExpressionSyntaxError)
                self.meter.charge(COMPILE_COST if failed_compile else expression_cost(0))
            prefix = f"{where}: " if where else ""
            raise WorkflowError.expression(f"{prefix}{exc}") from exc
        if self.meter is not None:
            self.meter.charge(expression_cost(size))
        return result

    def evaluate_condition(
        self, source: str, data: Any, variables: Mapping[str, Any], *, where: str = ""
    ) -> bool:
        """Evaluate a condition with jq truthiness (only ``false`` and ``null`` are false)."""
        result = self.evaluate_expression(source, data, variables, where=where)
        return result is not None and result is not False

    def evaluate_value(
        self, value: Any, data: Any, variables: Mapping[str, Any], *, where: str = ""
    ) -> Any:
        """Return ``value`` with every expression inside it replaced by its result.

        Strings, lists and mappings are walked; keys are never evaluated.
        """
        # Exact types first: JSON documents hold nothing else, and in a workflow
        # Temporal's sandbox routes every isinstance() through Python code.
        kind = type(value)
        if kind in _SCALARS:
            return value
        if kind is str or isinstance(value, str):
            if is_strict_expression(value):
                return self.evaluate_expression(value, data, variables, where=where)
            if self.mode is EvaluationMode.LOOSE:
                try:
                    return self.evaluate_expression(value, data, variables, where=where)
                except WorkflowError:
                    return value
            return value
        if kind is dict or isinstance(value, Mapping):
            return {
                k: self.evaluate_value(v, data, variables, where=f"{where}/{k}")
                for k, v in value.items()
            }
        if kind is list or isinstance(value, list):
            return [
                self.evaluate_value(v, data, variables, where=f"{where}/{i}")
                for i, v in enumerate(value)
            ]
        return value

    def evaluate_field(
        self, value: Any, data: Any, variables: Mapping[str, Any], *, where: str = ""
    ) -> Any:
        """Evaluate a field that is an expression when a string and a value otherwise.

        ``input.from``/``output.as``/``export.as`` accept a string (always an
        expression) or an object (a value with embedded ``${ }`` expressions).
        """
        if isinstance(value, str):
            return self.evaluate_expression(value, data, variables, where=where)
        return self.evaluate_value(value, data, variables, where=where)


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
