"""Checking the problem-details failures the activities raise."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError


async def expect_problem(
    awaitable: Awaitable[Any], error_type: str, status: int | None = None
) -> dict[str, Any]:
    """Await ``awaitable``, assert it fails with ``error_type``, return the details."""
    with pytest.raises(ApplicationError) as caught:
        await awaitable
    error = caught.value
    assert error.type == error_type, error
    assert error.non_retryable
    details = error.details[0]
    assert isinstance(details, dict)
    assert details["type"] == f"https://serverlessworkflow.io/spec/1.0.0/errors/{error_type}"
    if status is not None:
        assert details["status"] == status, details
    assert details["title"] and details["detail"]
    return details
