"""Observability settings of one process, read once at start-up (env, then flags).

=================================  ==========================================
``STIGMER_METRICS_ADDRESS``        ``/metrics`` listener (default 127.0.0.1:9090)
``STIGMER_HEALTH_ADDRESS``         ``/healthz`` ``/readyz`` listener (default 127.0.0.1:3000)
``STIGMER_TEMPORAL_METRICS_ADDRESS`` the Temporal SDK's private exporter (default: a free loopback port)
``LOG_LEVEL``                      DEBUG, INFO (default), WARNING, ERROR
``LOG_FORMAT``                     json or text (default: text on a terminal, else json)
=================================  ==========================================

An address is ``HOST:PORT`` or a bare ``PORT`` (loopback); port 0 picks a free
port; ``off`` disables the listener. Both listeners serve every path, so the
two addresses may be the same (one listener). Deployments that are scraped
from another host set ``0.0.0.0:9090``: like every Stigmer listener, these bind
to loopback unless told otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import IO

from stigmer_observability.log_setup import LogConfigError, log_format, log_level

DEFAULT_METRICS_ADDRESS = "127.0.0.1:9090"
DEFAULT_HEALTH_ADDRESS = "127.0.0.1:3000"
OFF = "off"

ENVIRONMENT_HELP = """observability:
  STIGMER_METRICS_ADDRESS     /metrics listener, HOST:PORT, PORT or off (default 127.0.0.1:9090)
  STIGMER_HEALTH_ADDRESS      /healthz and /readyz listener (default 127.0.0.1:3000)
  LOG_LEVEL                   DEBUG, INFO (default), WARNING, ERROR
  LOG_FORMAT                  json or text (default: text on a terminal, json otherwise)
"""


class ObservabilityConfigError(ValueError):
    """A setting the process cannot use; the message names the variable or flag."""


@dataclass(frozen=True)
class ObservabilityConfig:
    """Where a process serves metrics and health, and how it logs.

    Attributes:
        metrics_address: ``host:port`` of the ``/metrics`` listener, or "" (off).
        health_address: ``host:port`` of the health listener, or "" (off).
        temporal_metrics_address: the SDK's private exporter ("" = a free loopback port).
        log_level: a ``logging`` level name.
        log_format: "json" or "text".
    """

    metrics_address: str = DEFAULT_METRICS_ADDRESS
    health_address: str = DEFAULT_HEALTH_ADDRESS
    temporal_metrics_address: str = ""
    log_level: str = "INFO"
    log_format: str = "json"

    @staticmethod
    def from_env(
        env: Mapping[str, str] | None = None, *, log_stream: IO[str] | None = None
    ) -> ObservabilityConfig:
        """Read the settings (default: the process environment).

        Raises:
            ObservabilityConfigError: a variable is malformed.
        """
        source = os.environ if env is None else env
        try:
            level = log_level(source)
            fmt = log_format(source, log_stream or sys.stderr)
        except LogConfigError as error:
            raise ObservabilityConfigError(str(error)) from None
        return ObservabilityConfig(
            metrics_address=_address(
                "STIGMER_METRICS_ADDRESS",
                source.get("STIGMER_METRICS_ADDRESS"),
                DEFAULT_METRICS_ADDRESS,
            ),
            health_address=_address(
                "STIGMER_HEALTH_ADDRESS",
                source.get("STIGMER_HEALTH_ADDRESS"),
                DEFAULT_HEALTH_ADDRESS,
            ),
            temporal_metrics_address=_address(
                "STIGMER_TEMPORAL_METRICS_ADDRESS",
                source.get("STIGMER_TEMPORAL_METRICS_ADDRESS"),
                "",
            ),
            log_level=level,
            log_format=fmt,
        )

    def with_flags(self, args: argparse.Namespace) -> ObservabilityConfig:
        """These settings with the flags of :func:`add_arguments` that were given.

        Raises:
            ObservabilityConfigError: a flag's value is malformed.
        """
        updated = self
        if getattr(args, "metrics_address", None) is not None:
            updated = replace(
                updated, metrics_address=_address("--metrics-address", args.metrics_address, "")
            )
        if getattr(args, "health_address", None) is not None:
            updated = replace(
                updated, health_address=_address("--health-address", args.health_address, "")
            )
        if getattr(args, "log_level", None) is not None:
            try:
                level = log_level({"LOG_LEVEL": args.log_level})
            except LogConfigError as error:
                raise ObservabilityConfigError(
                    str(error).replace("LOG_LEVEL", "--log-level")
                ) from None
            updated = replace(updated, log_level=level)
        return updated

    def listeners(self) -> list[str]:
        """The distinct addresses to listen on (one listener when both are the same)."""
        addresses = (self.metrics_address, self.health_address)
        return list(dict.fromkeys(a for a in addresses if a and a.lower() != OFF))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags every Stigmer process accepts (they override the environment)."""
    group = parser.add_argument_group("observability")
    group.add_argument(
        "--metrics-address",
        metavar="HOST:PORT",
        help="serve /metrics here (PORT alone: loopback; off: no listener); "
        "env STIGMER_METRICS_ADDRESS, default 127.0.0.1:9090",
    )
    group.add_argument(
        "--health-address",
        metavar="HOST:PORT",
        help="serve /healthz and /readyz here; env STIGMER_HEALTH_ADDRESS, default 127.0.0.1:3000",
    )
    group.add_argument(
        "--log-level", metavar="LEVEL", help="DEBUG, INFO, WARNING or ERROR; env LOG_LEVEL"
    )


def _address(name: str, raw: str | None, default: str) -> str:
    """``raw`` as ``host:port``, "" for off, ``default`` when unset."""
    text = (raw or "").strip()
    if not text:
        return default
    if text.lower() in (OFF, "none", "disabled"):
        return ""
    host, colon, port = text.rpartition(":")
    if not colon:
        host, port = "127.0.0.1", text
    if not port.isdigit() or int(port) > 65535:
        raise ObservabilityConfigError(f"{name} must be HOST:PORT, PORT or off, got {text!r}")
    return f"{host or '127.0.0.1'}:{int(port)}"
