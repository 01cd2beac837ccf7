"""Reading a process's observability endpoint in tests: address from its log, scrapes, probes."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families


def log_records(log_path: Path) -> list[dict[str, object]]:
    """Every JSON log line of a process (other lines are returned as ``{"raw": line}``)."""
    records: list[dict[str, object]] = []
    for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except ValueError:
            records.append({"raw": line})
    return records


async def endpoint_address(log_path: Path, within: float = 60.0) -> str:
    """The ``host:port`` the process logged for its metrics listener."""

    def logged() -> str:
        if log_path.exists():
            for record in log_records(log_path):
                if record.get("event") == "observability_listening":
                    return str(record["metrics_address"])
        return ""

    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        address = await asyncio.to_thread(logged)
        if address:
            return address
        await asyncio.sleep(0.2)
    raise AssertionError(f"no observability_listening line in {log_path}")


def get(address: str, path: str) -> tuple[int, bytes]:
    """GET ``http://address/path``: (status, body), error statuses included."""
    try:
        with urllib.request.urlopen(f"http://{address}{path}", timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def samples(address: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """One scrape of ``/metrics``: value by (sample name, labels)."""
    status, body = get(address, "/metrics")
    assert status == 200, body
    values: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            values[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return values


def total(
    scraped: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    """Sum of the samples called ``name`` whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, lbls), v in scraped.items() if n == name and wanted <= set(lbls))


async def eventually(condition: Callable[[], bool], what: str, within: float = 60.0) -> None:
    """Poll ``condition`` (in a thread: it may do blocking HTTP) until true."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await asyncio.to_thread(condition):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"not within {within}s: {what}")


Scrape = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def eventually_grown(
    address: str,
    before: Scrape,
    expected: list[tuple[str, dict[str, str]]],
    within: float = 60.0,
) -> None:
    """Poll ``/metrics`` until every (name, labels) sum grew past ``before``; name the laggards."""
    missing: list[str] = []

    def grown() -> bool:
        after = samples(address)
        missing[:] = [
            f"{name}{labels or ''}"
            for name, labels in expected
            if total(after, name, **labels) <= total(before, name, **labels)
        ]
        return not missing

    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await asyncio.to_thread(grown):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{address}: did not grow within {within}s: {missing}")
