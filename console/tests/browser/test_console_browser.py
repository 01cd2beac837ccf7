"""The console in a real browser against the real platform (Temporal dev server,
stigmer-server with an API key, workflow-runner, console gateway).

Each test drives the page the way a user would (the key typed once into the
header form, links and buttons clicked, keys pressed) and leaves a screenshot
of what it saw in the artifacts folder.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from browser import BrowserLog, launched_browser
from console_platform import API_KEY, ConsolePlatform, start_console, stop
from playwright.async_api import Browser, Page, expect
from stigmer_testing.server_process import free_port

pytestmark = pytest.mark.integration

#: Milliseconds a page-side condition may take on a loaded machine (an execution's tasks
#: run through Temporal, the runner and the server before the page sees them).
WAIT_MS = 90_000


def _dsl(name: str, tasks: list[dict[str, Any]], **top: Any) -> dict[str, Any]:
    return {
        "document": {"dsl": "1.0.0", "namespace": "console", "name": name, "version": "1.0.0"},
        **top,
        "do": tasks,
    }


GREETER = _dsl(
    "greeter",
    [
        {"greet": {"set": {"greeting": '${ "Hello, " + .name + "!" }'}}},
        {"nap": {"wait": {"seconds": 2}}},
        {"finish": {"set": {"greeting": "${ .greeting }", "done": True}}},
    ],
    input={
        "schema": {
            "format": "json",
            "document": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}},
            },
        }
    },
)
SLEEPER = _dsl(
    "sleeper", [{"start": {"set": {"started": True}}}, {"nap": {"wait": {"minutes": 10}}}]
)
REFUSER = _dsl(
    "refuser",
    [
        {"check": {"set": {"ok": False}}},
        {
            "refuse": {
                "raise": {
                    "error": {
                        "type": "https://example.com/errors/refused",
                        "status": 422,
                        "title": "Refused",
                        "detail": "not ok: the order is incomplete",
                    }
                }
            }
        },
    ],
)
LOOPER = _dsl(
    "looper",
    [
        {
            "each": {
                "for": {"each": "item", "in": "${ .items }"},
                "do": [{"visit": {"set": {"seen": "${ $item }"}}}],
            }
        },
        {
            "both": {
                "fork": {
                    "branches": [
                        {"left": {"set": {"side": "left"}}},
                        {"right": {"set": {"side": "right"}}},
                    ]
                }
            }
        },
    ],
)
BRANCHY = _dsl(
    "branchy",
    [
        {
            "route": {
                "switch": [
                    {"big": {"when": "${ .size > 10 }", "then": "parallel"}},
                    {"otherwise": {"then": "small"}},
                ]
            }
        },
        {"small": {"set": {"kind": "small"}, "then": "end"}},
        {
            "parallel": {
                "fork": {
                    "compete": False,
                    "branches": [
                        {"left": {"set": {"side": "left"}}},
                        {"right": {"set": {"side": "right"}}},
                    ],
                }
            }
        },
        {"report": {"set": {"kind": "big"}}},
    ],
)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with launched_browser() as started:
        yield started


class ConsolePage:
    """One browser tab on the console, with the errors it logged."""

    def __init__(self, page: Page, log: BrowserLog, shots: Path, url: str) -> None:
        self.page, self.log, self.shots, self.url = page, log, shots, url

    async def sign_in(self, key: str = API_KEY) -> None:
        """Type the key into the header form once: the tab keeps it (session storage)."""
        await self.page.get_by_label("API key").fill(key)
        await self.page.get_by_role("button", name="Save key").click()

    async def open(self, route: str) -> None:
        await self.page.goto(f"{self.url}/{route}")

    async def shot(self, name: str) -> None:
        await self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)


@pytest_asyncio.fixture(loop_scope="session")
async def console(
    browser: Browser, console_platform: ConsolePlatform, artifacts: Path
) -> AsyncIterator[ConsolePage]:
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(60_000)
    page = await context.new_page()
    log = BrowserLog()
    log.attach(page)
    opened = ConsolePage(page, log, artifacts, console_platform.console_url)
    # The first visit has no key yet: its refused calls are the expected 401s.
    await opened.open("#/executions")
    await expect(page.get_by_role("alert")).to_contain_text("the API key was refused")
    await opened.sign_in()
    await expect(page.get_by_role("alert")).to_be_hidden()
    await expect(page.get_by_role("table", name="Executions")).to_be_visible()
    log.errors.clear()
    try:
        yield opened
    finally:
        await context.close()


def _no_errors(console: ConsolePage, platform: ConsolePlatform) -> None:
    assert console.log.errors == [], f"{console.log.errors}\n{platform.logs()}"


async def test_run_from_the_page_and_watch_it_live(
    console: ConsolePage, console_platform: ConsolePlatform
) -> None:
    workflow = await console_platform.apply(GREETER)
    page = console.page
    await console.open(f"#/run/{workflow.metadata.id}")
    await expect(page.get_by_label("Workflow", exact=True)).to_have_value(workflow.metadata.id)
    # The input schema is checked on the page before anything is sent.
    input_box = page.get_by_label("Input (JSON object)")
    await input_box.fill('{"name": 7}')
    await expect(page.locator("#run-input-problem")).to_have_text(
        "Input: 'name' must be of type string"
    )
    await expect(page.get_by_role("button", name="Start")).to_be_disabled()
    await input_box.fill('{"name": "Ada"}')
    await expect(page.get_by_role("button", name="Start")).to_be_enabled()
    await console.shot("run-workflow")
    await page.get_by_role("button", name="Start").click()

    await expect(page).to_have_url(re.compile(r"#/executions/wex-"), timeout=WAIT_MS)
    # A marker that a reload would wipe: the live view must update in place.
    await page.evaluate("window.__notReloaded = true")
    greet = page.locator('.task-row[data-task-id="/do/0/greet"]')
    await expect(greet).to_have_attribute("data-phase", "COMPLETED", timeout=WAIT_MS)
    await expect(page.locator("h1 .phase")).to_have_attribute(
        "data-phase", "COMPLETED", timeout=WAIT_MS
    )
    assert await page.evaluate("window.__notReloaded === true")
    await expect(page.locator(".task-row")).to_have_count(3)

    # The workflow's graph beside it, each node in its task's phase.
    graph = page.locator("#execution-graph svg")
    for node in ("/do/0/greet", "/do/1/nap", "/do/2/finish"):
        await expect(graph.locator(f'.node[data-id="{node}"]')).to_have_attribute(
            "data-phase", "COMPLETED"
        )
    await greet.click()
    await expect(page.locator("#task-output")).to_contain_text('"greeting": "Hello, Ada!"')
    await expect(page.locator("#execution-output")).to_contain_text('"done": true')
    await console.shot("execution-completed")
    _no_errors(console, console_platform)


async def test_pause_resume_and_cancel_a_running_execution_from_the_keyboard(
    console: ConsolePage, console_platform: ConsolePlatform
) -> None:
    workflow = await console_platform.apply(SLEEPER)
    async with console_platform.client() as client:
        execution = await client.start_execution(workflow, {})
    page = console.page
    await console.open(f"#/executions/{execution.metadata.id}")
    nap = page.locator('.task-row[data-task-id="/do/1/nap"]')
    await expect(nap).to_have_attribute("data-phase", "IN_PROGRESS", timeout=WAIT_MS)
    await console.shot("execution-running")
    # A running task's duration goes on between updates (the wait sends none), and the
    # redraw leaves the keyboard focus where it was.
    duration = nap.locator(".meta")
    before = await duration.text_content()
    await nap.focus()
    await expect(duration).not_to_have_text(before or "")
    await expect(nap).to_be_focused()
    # Pause and resume: the badge follows without a reload.
    await page.get_by_role("button", name="Pause", exact=True).click()
    await expect(page.locator("h1 .phase")).to_have_attribute("data-phase", "PAUSED")
    await expect(page.get_by_role("button", name="Resume", exact=True)).to_be_enabled()
    await page.get_by_role("button", name="Resume", exact=True).click()
    await expect(page.locator("h1 .phase")).to_have_attribute("data-phase", "IN_PROGRESS")
    cancel = page.get_by_role("button", name="Cancel", exact=True)
    await cancel.focus()
    await expect(cancel).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("h1 .phase")).to_have_attribute(
        "data-phase", "CANCELLED", timeout=WAIT_MS
    )
    await expect(nap).to_have_attribute("data-phase", "CANCELLED", timeout=WAIT_MS)
    await expect(page.locator("#execution-error")).to_contain_text(
        "Execution cancelled\ncancelled: from the console"
    )
    await expect(cancel).to_be_disabled()
    await console.shot("execution-cancelled")
    _no_errors(console, console_platform)


async def test_for_iterations_and_fork_branches_are_grouped(
    console: ConsolePage, console_platform: ConsolePlatform
) -> None:
    workflow = await console_platform.apply(LOOPER)
    async with console_platform.client() as client:
        execution = await client.start_execution(workflow, {"items": ["a", "b", "c"]})
    page = console.page
    await console.open(f"#/executions/{execution.metadata.id}")
    await expect(page.locator("h1 .phase")).to_have_attribute(
        "data-phase", "COMPLETED", timeout=WAIT_MS
    )
    iterations = page.get_by_role("group", name="each iterations")
    await expect(iterations.locator(".task-row")).to_have_count(3)
    await expect(
        iterations.locator('.task-row[data-task-id="/do/0/each/do/0/visit#3"]')
    ).to_have_count(1)
    branches = page.get_by_role("group", name="both branches")
    await expect(branches.locator(".task-row")).to_have_count(2)
    await iterations.locator('.task-row[data-task-id="/do/0/each/do/0/visit#2"]').click()
    await expect(page.locator("#task-output")).to_contain_text('"seen": "b"')
    await console.shot("execution-grouped")
    _no_errors(console, console_platform)


async def test_a_failed_execution_shows_its_problem_details(
    console: ConsolePage, console_platform: ConsolePlatform
) -> None:
    workflow = await console_platform.apply(REFUSER)
    async with console_platform.client() as client:
        execution = await client.start_execution(workflow, {})
    page = console.page
    await console.open(f"#/executions/{execution.metadata.id}")
    problem = page.locator("#execution-error")
    await expect(problem).to_contain_text("Execution failed: Refused (422)", timeout=WAIT_MS)
    await expect(problem).to_contain_text("not ok: the order is incomplete")
    await expect(problem).to_contain_text(
        "type https://example.com/errors/refused · at /do/1/refuse"
    )
    refuse = page.locator('.task-row[data-task-id="/do/1/refuse"]')
    await expect(refuse).to_have_attribute("data-phase", "FAILED")
    await expect(page.locator('#execution-graph .node[data-id="/do/1/refuse"]')).to_have_attribute(
        "data-phase", "FAILED"
    )
    await refuse.click()
    await expect(page.locator("#task-error")).to_contain_text("Refused")
    await console.shot("execution-failed")
    _no_errors(console, console_platform)


async def test_the_graph_of_a_workflow_with_a_switch_and_a_fork(
    console: ConsolePage, console_platform: ConsolePlatform
) -> None:
    workflow = await console_platform.apply(BRANCHY)
    page = console.page
    await console.open(f"#/workflows/{workflow.metadata.id}")
    graph = page.locator("#workflow-graph svg")
    await expect(graph).to_have_attribute("aria-label", "Task graph of branchy")
    await expect(graph.locator('.node[data-kind="switch"]')).to_have_count(1)
    await expect(graph.locator('.node[data-kind="fork"]')).to_have_count(1)
    # The switch's cases lead where their `then` says; the fork fans out to both branches.
    route = '.edge[data-from="/do/0/route"]'
    await expect(graph.locator(f'{route}[data-to="/do/2/parallel"]')).to_contain_text("big")
    await expect(graph.locator(f'{route}[data-to="/do/1/small"]')).to_contain_text("otherwise")
    for branch in ("0/left", "1/right"):
        edge = f'.edge[data-from="/do/2/parallel"][data-to="/do/2/parallel/fork/branches/{branch}"]'
        await expect(graph.locator(edge)).to_have_count(1)
    # Laid out: every node has its own place (dagre ranks the switch above the fork).
    boxes = [await node.bounding_box() for node in await graph.locator(".node").all()]
    centres = {(round(b["x"]), round(b["y"])) for b in boxes if b}
    assert len(centres) == len(boxes) == 8
    switch_box = await graph.locator('.node[data-kind="switch"]').bounding_box()
    fork_box = await graph.locator('.node[data-kind="fork"]').bounding_box()
    assert switch_box and fork_box and switch_box["y"] < fork_box["y"]
    await expect(page.locator("#workflow-yaml")).to_contain_text("switch:")
    await expect(page.locator("#workflow-yaml")).to_contain_text("fork:")
    await console.shot("workflow-graph")
    _no_errors(console, console_platform)


async def test_new_executions_appear_in_the_list_and_filter(
    console: ConsolePage, console_platform: ConsolePlatform
) -> None:
    workflow = await console_platform.apply(SLEEPER)
    page = console.page
    await console.open("#/executions")
    await expect(page.get_by_role("table", name="Executions")).to_be_visible()
    await page.evaluate("window.__notReloaded = true")
    async with console_platform.client() as client:
        execution = await client.start_execution(workflow, {})
    row = page.locator(f'tr[data-id="{execution.metadata.id}"]')
    await expect(row).to_be_visible(timeout=WAIT_MS)
    await expect(row).to_contain_text("sleeper")
    assert await page.evaluate("window.__notReloaded === true")
    await page.get_by_label("Phase").select_option("COMPLETED")
    await expect(row).to_have_count(0)
    await page.get_by_label("Phase").select_option("")
    await page.get_by_label("Workflow", exact=True).select_option("sleeper")
    await expect(row).to_be_visible()
    await expect(page.locator("tbody tr", has_not_text="sleeper")).to_have_count(0)
    await console.shot("executions")
    async with console_platform.client() as client:
        await client.control_execution("cancel", execution.metadata.id, "test over")
    _no_errors(console, console_platform)


async def test_every_control_is_labelled(
    console: ConsolePage, console_platform: ConsolePlatform
) -> None:
    await console_platform.apply(GREETER)
    page = console.page
    for route in ("#/executions", "#/run", "#/workflows"):
        await console.open(route)
        await expect(page.locator("main h1")).to_be_visible()
        unlabelled = await page.evaluate(
            """() => [...document.querySelectorAll('input, select, textarea, button')]
                .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                                && !el.textContent.trim())
                .map((el) => el.outerHTML)"""
        )
        assert unlabelled == [], route
    # The main action of the run page is reached and pressed with the keyboard.
    await console.open("#/run")
    await page.get_by_label("Workflow", exact=True).select_option(label="greeter")
    await page.get_by_label("Input (JSON object)").fill('{"name": "Kay"}')
    await expect(page.get_by_role("button", name="Start")).to_be_enabled()
    await page.get_by_label("Input (JSON object)").focus()
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("button", name="Start")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"#/executions/wex-"), timeout=WAIT_MS)
    await expect(page.locator("h1 .phase")).to_have_attribute(
        "data-phase", "COMPLETED", timeout=WAIT_MS
    )
    _no_errors(console, console_platform)


async def test_a_bad_key_is_a_readable_message(
    console: ConsolePage, console_platform: ConsolePlatform
) -> None:
    page = console.page
    await console.open("#/executions")
    await console.sign_in("not-the-key")
    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text("the API key was refused", timeout=WAIT_MS)
    await console.shot("bad-key")
    # The browser logs each refused call as a failed load (HTTP 401); nothing else.
    assert all("401" in error for error in console.log.errors), console.log.errors


async def test_an_unreachable_server_is_a_readable_message(
    browser: Browser, console_platform: ConsolePlatform, artifacts: Path
) -> None:
    process, url = start_console(f"127.0.0.1:{free_port()}", console_platform.tmp, "orphan")
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await page.goto(f"{url}/#/executions")
        await expect(page.get_by_role("alert")).to_contain_text(
            "stigmer-server is not reachable", timeout=WAIT_MS
        )
        await page.screenshot(path=str(artifacts / "server-unreachable.png"))
    finally:
        await context.close()
        stop(process)
