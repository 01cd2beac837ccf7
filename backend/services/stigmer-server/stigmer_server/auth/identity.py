"""Who is calling: the identity of the API key of the current RPC.

The authentication interceptor resolves the key once per call and sets the
identity for the handler (a context variable of the handler's task, so
everything the handler awaits sees it, including the repository's org scope).

Roles: ``admin`` and ``user`` manage resources of their org; ``runner`` is what
workflow runners use, and only it may report execution status (UpdateStatus),
read ExecutionContexts and resolve secrets. A key's org bounds everything it
sees: another org's resources are NOT_FOUND. Runner keys are bound to a role
and an org, not to one execution: a runner may read any execution of its org
(the platform's runner, serving every org from one queue, has org ``*``).

Without configured keys (local zero-config mode) every call is
:data:`LOCAL_ADMIN`, which passes every role check and sees every org: one
trusted user on loopback, as before keys existed.
"""

from __future__ import annotations

import contextvars
from collections.abc import Sequence
from dataclasses import dataclass

import grpc
from stigmer_common.api_keys import ALL_ORGS, KeyEntry

from stigmer_server.config import LOCAL_KEY_ID
from stigmer_server.errors import ApiError


class PermissionDenied(ApiError):
    code = grpc.StatusCode.PERMISSION_DENIED


@dataclass(frozen=True)
class Identity:
    """An authenticated caller.

    Attributes:
        key_id: The API key's id (audit fields record ``api-key:<key_id>``).
        role: ``admin``, ``user`` or ``runner``.
        org: The org it may see and change, or ``*`` for every org.
    """

    key_id: str
    role: str
    org: str

    @property
    def is_local(self) -> bool:
        """The zero-config identity (no keys configured)."""
        return self is LOCAL_ADMIN or self == LOCAL_ADMIN

    @property
    def audit_name(self) -> str:
        """What ``created_by`` / ``updated_by`` record."""
        return "local" if self.is_local else f"api-key:{self.key_id}"

    def sees(self, org: str) -> bool:
        """Whether resources of ``org`` exist for this caller."""
        return self.org == ALL_ORGS or self.org == org

    @property
    def home_org(self) -> str | None:
        """The org of a key bound to one (the default org of its writes and lists)."""
        return None if self.org == ALL_ORGS else self.org


LOCAL_ADMIN = Identity(LOCAL_KEY_ID, "admin", ALL_ORGS)

# Unset outside RPCs: in-process callers (the orchestration's local activities,
# reconciliation) act as the server itself and are not scoped.
_current: contextvars.ContextVar[Identity | None] = contextvars.ContextVar(
    "stigmer_identity", default=None
)


def set_identity(identity: Identity) -> contextvars.Token[Identity | None]:
    """Binds ``identity`` to the running handler (the interceptor does this)."""
    return _current.set(identity)


def reset_identity(token: contextvars.Token[Identity | None]) -> None:
    _current.reset(token)


def identity_or_none() -> Identity | None:
    """The RPC's identity, or None in server-internal code (not scoped)."""
    return _current.get()


def every_org_admins(entries: Sequence[KeyEntry]) -> frozenset[str]:
    """The audit names (``created_by``) of callers that act in every org as admins:
    the admin keys of org ``*``, or the local admin when no keys are configured."""
    if not entries:
        return frozenset({LOCAL_ADMIN.audit_name})
    return frozenset(
        Identity(e.key_id, e.role, e.org).audit_name
        for e in entries
        if e.role == "admin" and e.org == ALL_ORGS
    )


def default_org(fallback: str) -> str:
    """The org a request means when it names none: the caller's own, if it is
    bound to one, else ``fallback`` (the server's default org)."""
    identity = _current.get()
    home = identity.home_org if identity is not None else None
    return home or fallback


def current_identity(context: grpc.aio.ServicerContext | None = None) -> Identity:
    """The identity of the RPC being handled.

    Args:
        context: The handler's context (kept for call sites' clarity; the
            identity is bound to the handler's task by the interceptor).

    Raises:
        PermissionDenied: Called outside an authenticated RPC (a wiring bug;
            failing closed beats acting as nobody in particular).
    """
    identity = _current.get()
    if identity is None:
        raise PermissionDenied("no authenticated caller for this request")
    return identity


def require_role(context: grpc.aio.ServicerContext | None, *roles: str) -> None:
    """Refuses the call with PERMISSION_DENIED unless the caller has one of ``roles``.

    The zero-config identity passes (it stands for every role). Raises an
    :class:`~stigmer_server.errors.ApiError`: inside ``call_mapped`` it becomes
    the status, and the interceptor maps one escaping any handler the same way.
    """
    identity = current_identity(context)
    if identity.is_local or identity.role in roles:
        return
    raise PermissionDenied(
        f"API key {identity.key_id!r} has role {identity.role!r}; "
        f"this call needs {' or '.join(repr(r) for r in roles)}"
    )
