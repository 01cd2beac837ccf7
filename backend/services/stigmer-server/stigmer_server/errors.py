"""Errors a client can cause, each mapped to one gRPC status code.

Anything raised inside a request that is not an :class:`ApiError` is a bug or an
infrastructure fault and reaches the client as INTERNAL (see
:mod:`stigmer_server.api.error_mapping`). Messages start with the field path the
client must fix, so a human or a UI can point at it.
"""

from __future__ import annotations

import grpc


class ApiError(Exception):
    """Base of client-visible errors.

    Attributes:
        code: The gRPC status code sent to the client.
        field: Dotted path of the offending field (``spec.tasks[0].name``), or "".
        detail: Human text without the field prefix.
    """

    code: grpc.StatusCode = grpc.StatusCode.INTERNAL

    def __init__(self, detail: str, *, field: str = "") -> None:
        self.field = field
        self.detail = detail
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The status message: ``"<field>: <detail>"`` when a field is known."""
        return f"{self.field}: {self.detail}" if self.field else self.detail


class InvalidArgument(ApiError):
    code = grpc.StatusCode.INVALID_ARGUMENT


class NotFound(ApiError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(ApiError):
    code = grpc.StatusCode.ALREADY_EXISTS


class FailedPrecondition(ApiError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class Unavailable(ApiError):
    code = grpc.StatusCode.UNAVAILABLE


class Aborted(ApiError):
    """A concurrent writer changed the resource first (optimistic concurrency)."""

    code = grpc.StatusCode.ABORTED
