"""Role checks of the current caller.

Minimal form: every caller passes (API keys carry no roles yet). The signature
is the one handlers call; a role-aware implementation replaces the body and
raises an ``ApiError`` (PERMISSION_DENIED) that ``call_mapped`` turns into the
status.
"""

from __future__ import annotations

import grpc

RUNNER = "runner"


def require_role(context: grpc.aio.ServicerContext | None, *roles: str) -> None:
    """Refuses the call unless the caller has one of ``roles`` (all pass here)."""
    del context, roles
