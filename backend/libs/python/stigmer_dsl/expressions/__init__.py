"""Runtime expressions behind one interface: compile at load, evaluate at run.

The DSL's default (and our only) language is jq. :mod:`.jq_language` compiles
programs with the ambient functions that would break replay (``now``, ``env``,
``input``...) replaced or rejected; :mod:`.evaluation` walks values and applies
``strict``/``loose`` mode.
"""

from stigmer_dsl.expressions.evaluation import (
    EvaluationMode,
    ExpressionEvaluator,
    is_strict_expression,
    strip_expression,
)
from stigmer_dsl.expressions.jq_language import CompiledExpression, compile_expression

__all__ = [
    "CompiledExpression",
    "EvaluationMode",
    "ExpressionEvaluator",
    "compile_expression",
    "is_strict_expression",
    "strip_expression",
]
