"""One error record for the engine: RFC 7807 problem details.

Every fault the engine raises or catches is a :class:`WorkflowError`. It carries
the problem-details fields the DSL defines (``type``, ``status``, ``title``,
``detail``, ``instance``). The conversion to and from Temporal's
``ApplicationError`` (how errors cross activity and workflow boundaries) lives
in the engine, ``workflow_runner.engine.errors``, so this module has no
Temporal dependency.

Contract with activities: an activity that fails in a way the workflow author
may want to catch raises::

    ApplicationError(title, {problem-details dict}, type="communication", non_retryable=True)

where ``type`` is the short standard kind (``communication``, ``timeout``, ...)
or a full type URI, and the dict holds at least ``type`` and ``status``. The
engine turns it back into a :class:`WorkflowError` and stamps the ``instance``
pointer of the task that called the activity.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlparse

#: Base URI of the standard error types, as the 1.0.x specification spells it.
STANDARD_TYPE_BASE: Final = "https://serverlessworkflow.io/spec/1.0.0/errors/"

#: Standard kind -> default status (dsl-reference.md, "Standard Error Types").
STANDARD_STATUS: Final[Mapping[str, int]] = {
    "configuration": 400,
    "validation": 400,
    "expression": 400,
    "authentication": 401,
    "authorization": 403,
    "timeout": 408,
    "communication": 500,
    "runtime": 500,
}

# Hosts that publish the standard error types. The specification moved from
# serverlessworkflow.io to open-workflow-specification.org; examples and the CTK
# also use several path shapes (`/spec/1.0.0/errors/x`, `/dsl/errors/types/x`),
# so a standard type is recognised by host + last path segment.
_STANDARD_HOSTS: Final = frozenset(
    {
        "serverlessworkflow.io",
        "www.serverlessworkflow.io",
        "open-workflow-specification.org",
        "www.open-workflow-specification.org",
    }
)


def standard_kind(type_uri: str) -> str | None:
    """The standard kind (e.g. ``"timeout"``) a type URI denotes, or None.

    Accepts the short kind itself as well, since activities use it as the
    Temporal error type.
    """
    if type_uri in STANDARD_STATUS:
        return type_uri
    parsed = urlparse(type_uri)
    if parsed.hostname not in _STANDARD_HOSTS:
        return None
    last = parsed.path.rstrip("/").rsplit("/", 1)[-1]
    return last if last in STANDARD_STATUS else None


def types_match(filter_type: str, error_type: str) -> bool:
    """Whether an error type satisfies a ``catch.errors.with.type`` filter.

    Equal strings match; two standard types match when they name the same kind,
    whatever host or path shape each uses.
    """
    if filter_type == error_type:
        return True
    kind = standard_kind(filter_type)
    return kind is not None and kind == standard_kind(error_type)


class WorkflowError(Exception):
    """A Serverless Workflow error (RFC 7807 problem details).

    Attributes:
        type: URI identifying the error type.
        status: Status code (HTTP semantics by convention).
        title: Short human-readable summary.
        detail: Explanation specific to this occurrence.
        instance: JSON pointer of the component that raised the error.
    """

    def __init__(
        self,
        type: str,
        status: int,
        title: str | None = None,
        detail: str | None = None,
        instance: str | None = None,
    ) -> None:
        super().__init__(title or detail or type)
        self.type = type
        self.status = status
        self.title = title
        self.detail = detail
        self.instance = instance
        # Whether a task already reported this error to the observer (not serialised).
        self.reported = False

    # -- factories, one per standard type -------------------------------------------------
    @classmethod
    def standard(
        cls,
        kind: str,
        detail: str | None = None,
        *,
        title: str | None = None,
        status: int | None = None,
        instance: str | None = None,
    ) -> WorkflowError:
        """An error of a standard kind with its default status unless given."""
        return cls(
            type=STANDARD_TYPE_BASE + kind,
            status=status if status is not None else STANDARD_STATUS[kind],
            title=title or f"{kind.capitalize()} Error",
            detail=detail,
            instance=instance,
        )

    @classmethod
    def configuration(cls, detail: str, **kw: Any) -> WorkflowError:
        return cls.standard("configuration", detail, **kw)

    @classmethod
    def validation(cls, detail: str, **kw: Any) -> WorkflowError:
        return cls.standard("validation", detail, **kw)

    @classmethod
    def expression(cls, detail: str, **kw: Any) -> WorkflowError:
        return cls.standard("expression", detail, **kw)

    @classmethod
    def authentication(cls, detail: str, **kw: Any) -> WorkflowError:
        return cls.standard("authentication", detail, **kw)

    @classmethod
    def authorization(cls, detail: str, **kw: Any) -> WorkflowError:
        return cls.standard("authorization", detail, **kw)

    @classmethod
    def timeout(cls, detail: str, **kw: Any) -> WorkflowError:
        return cls.standard("timeout", detail, **kw)

    @classmethod
    def communication(cls, detail: str, **kw: Any) -> WorkflowError:
        return cls.standard("communication", detail, **kw)

    @classmethod
    def runtime(cls, detail: str, **kw: Any) -> WorkflowError:
        return cls.standard("runtime", detail, **kw)

    # -- conversions ----------------------------------------------------------------------
    @property
    def kind(self) -> str | None:
        """The standard kind of this error, or None for a custom type."""
        return standard_kind(self.type)

    def with_instance(self, instance: str) -> WorkflowError:
        """Set ``instance`` if the raiser left it unset; returns self for chaining."""
        if not self.instance:
            self.instance = instance
        return self

    def to_dict(self) -> dict[str, Any]:
        """The problem-details object, without unset optional fields."""
        out: dict[str, Any] = {"type": self.type, "status": self.status}
        for key in ("title", "detail", "instance"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, default_kind: str = "runtime") -> WorkflowError:
        """Build from a problem-details mapping, filling a missing type/status from a kind."""
        kind = standard_kind(str(data.get("type", ""))) or default_kind
        type_ = str(data.get("type") or STANDARD_TYPE_BASE + kind)
        status = data.get("status")
        if not isinstance(status, int) or isinstance(status, bool):
            status = STANDARD_STATUS.get(kind, 500)
        return cls(
            type=type_,
            status=status,
            title=_opt_str(data.get("title")),
            detail=_opt_str(data.get("detail")),
            instance=_opt_str(data.get("instance")),
        )

    def __repr__(self) -> str:
        return f"WorkflowError({self.to_dict()!r})"


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)
