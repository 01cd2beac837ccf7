"""The one error type commands raise for the user: printed as one line, non-zero exit."""

from __future__ import annotations


class UsageError(Exception):
    """Bad input or an unreachable dependency; ``str()`` is the line shown to the user."""
