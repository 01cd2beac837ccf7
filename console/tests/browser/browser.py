"""Headless Debian chromium driven by Playwright (no browser download: the system binary)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright, expect

#: Milliseconds any page-side expectation may take: the page polls every 2 s and a loaded
#: 2-core machine (the whole suite in parallel) delays every process involved.
EXPECT_TIMEOUT_MS = 30_000
expect.set_options(timeout=EXPECT_TIMEOUT_MS)


def chromium_path() -> str:
    """The system chromium; a skip with the reason when absent (a failure under CI=true)."""
    path = os.environ.get("STIGMER_CHROMIUM") or shutil.which("chromium")
    if path:
        return path
    message = "no chromium on PATH (Debian: apt-get install chromium; tools/setup.sh does)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@asynccontextmanager
async def launched_browser() -> AsyncIterator[Browser]:
    executable = chromium_path()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            # Root in a container: chromium's sandbox needs user namespaces it may not have.
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class BrowserLog:
    """Errors the page logged (console.error, uncaught exceptions, failed loads)."""

    errors: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                self.errors.append(message.text)

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
