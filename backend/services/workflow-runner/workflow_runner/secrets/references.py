"""Find the secrets an expression reads, to refuse the ones a workflow did not declare.

dsl.md: accessing a secret the workflow has no right to is an `authorization`
error. A workflow's rights are its ``use.secrets`` list; this scan lets the
engine check a `$secrets.x` reference against it before evaluating.
"""

from __future__ import annotations

import re
from collections.abc import Collection

_REFERENCE = re.compile(
    r"""\$secrets\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*"([^"]+)"\s*\]|\.\s*"([^"]+)")"""
)


def secret_references(expression: str) -> list[str]:
    """Names read by ``$secrets.name``, ``$secrets["name"]`` or ``$secrets."name"``."""
    return [next(g for g in m.groups() if g) for m in _REFERENCE.finditer(expression)]


def undeclared_secret_references(expression: str, declared: Collection[str]) -> list[str]:
    """The referenced secret names that are not in ``declared``, in order of appearance."""
    return [n for n in secret_references(expression) if n not in declared]
