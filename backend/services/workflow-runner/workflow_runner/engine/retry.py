"""DSL retry policies: when to retry and how long to wait (durable timers).

Delays for retry ``n`` (1 for the first retry) with base ``delay``:

* ``constant``: ``delay``
* ``linear``: ``delay * n``
* ``exponential``: ``delay * 2 ** (n - 1)``

plus, when ``jitter`` is set, a uniform random duration in ``[from, to]``
drawn from ``workflow.random()`` (seeded by Temporal, identical on replay).
Limits: ``limit.attempt.count`` caps the number of retries,
``limit.duration`` caps the time since the first attempt started, and
``limit.attempt.duration`` caps each attempt (an attempt running longer
faults with a ``timeout`` error, which the catch may then retry).

Every duration may be a runtime expression; it is evaluated once, when the
``try`` task starts, on the task's input (see :meth:`RetryPolicy.parse`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from stigmer_dsl.durations import parse_duration, resolve_duration
from stigmer_dsl.errors import WorkflowError
from temporalio import workflow


@dataclass(frozen=True)
class RetryPolicy:
    """A parsed ``retry`` definition."""

    when: str | None
    except_when: str | None
    delay: timedelta
    backoff: str
    max_retries: int | None
    max_total: timedelta | None
    attempt_timeout: timedelta | None
    jitter: tuple[timedelta, timedelta] | None

    @classmethod
    def parse(
        cls,
        spec: Any,
        reusable: Mapping[str, Any],
        *,
        where: str,
        evaluate: Callable[[str], Any] | None = None,
    ) -> RetryPolicy:
        """Parse an inline policy or the name of one in ``use.retries``.

        Args:
            evaluate: evaluates runtime-expression durations (without it, an
                expression is rejected as not a duration).
        """

        def duration(value: Any, field: str) -> timedelta:
            if evaluate is None:
                return parse_duration(value, field_name=f"{where}/{field}")
            return resolve_duration(value, evaluate, field_name=f"{where}/{field}")

        if isinstance(spec, str):
            if spec not in reusable:
                raise WorkflowError.configuration(f"{where}: no retry policy named {spec!r}")
            spec = reusable[spec]
        if not isinstance(spec, Mapping):
            raise WorkflowError.configuration(f"{where}: a retry policy must be an object")
        backoff_spec = spec.get("backoff") or {}
        backoff = next(
            (k for k in ("constant", "linear", "exponential") if k in backoff_spec), "constant"
        )
        limit = spec.get("limit") or {}
        attempt = limit.get("attempt") or {}
        jitter_spec = spec.get("jitter")
        return cls(
            when=spec.get("when"),
            except_when=spec.get("exceptWhen"),
            delay=duration(spec["delay"], "delay") if "delay" in spec else timedelta(0),
            backoff=backoff,
            max_retries=attempt.get("count"),
            max_total=duration(limit["duration"], "limit/duration")
            if "duration" in limit
            else None,
            attempt_timeout=duration(attempt["duration"], "limit/attempt/duration")
            if "duration" in attempt
            else None,
            jitter=(
                duration(jitter_spec["from"], "jitter/from"),
                duration(jitter_spec["to"], "jitter/to"),
            )
            if jitter_spec
            else None,
        )

    def delay_before(self, retry_number: int) -> timedelta:
        """Wait before retry ``retry_number`` (1-based), jitter included."""
        if self.backoff == "linear":
            base = self.delay * retry_number
        elif self.backoff == "exponential":
            base = self.delay * (2 ** (retry_number - 1))
        else:
            base = self.delay
        if self.jitter is not None:
            low, high = self.jitter
            base += low + (high - low) * workflow.random().random()
        return base

    def allows(self, retry_number: int, elapsed: timedelta, next_delay: timedelta) -> bool:
        """Whether retry ``retry_number`` may start given the limits."""
        if self.max_retries is not None and retry_number > self.max_retries:
            return False
        return self.max_total is None or elapsed + next_delay <= self.max_total
