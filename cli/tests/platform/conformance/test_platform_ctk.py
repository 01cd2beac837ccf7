"""The conformance kit through the platform: every CTK scenario, 21 of 21.

Each scenario's definition is applied over gRPC and run as an execution on one
platform (stigmer-server + workflow-runner processes) shared by the module; the
same definition also runs on the bare engine (the `dsl` path) on the same dev
server. The test asserts both outcomes are equal (output or problem details, and
the order tasks started in), then checks the scenario's own `Then` steps against
the platform's execution. petstore/httpbin URLs go to the local fake services.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from e2e_platform import Platform
from outcomes import Outcome, run_on_engine, run_on_platform
from stigmer_testing.reference_documents import CtkScenario, Step, ctk_scenarios
from tests.engine.harness import EngineHarness
from tests.support.fake_http_services import FakeHttpServices, rewrite_urls

pytestmark = pytest.mark.e2e

SCENARIOS = ctk_scenarios()


def _input(scenario: CtkScenario) -> Any:
    text = scenario.docstring("the workflow input is:")
    return {} if text is None else yaml.safe_load(text)


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
async def test_ctk_scenario_on_the_platform(
    shared_platform: Platform,
    engine: EngineHarness,
    fake_http_services: FakeHttpServices,
    scenario: CtkScenario,
) -> None:
    definition = rewrite_urls(scenario.definition, fake_http_services.base_url)
    workflow_input = _input(scenario)
    expected = await run_on_engine(engine, definition, workflow_input)
    fake_http_services.state.reset()  # the platform run starts from the same fake data
    actual = await run_on_platform(shared_platform, definition, workflow_input)
    assert actual.comparable() == expected.comparable(), shared_platform.logs()[-4000:]
    for step in scenario.steps:
        if step.text.startswith(("a workflow with", "the workflow input", "given the workflow")):
            continue
        if step.text == "the workflow is executed":
            continue
        check_step(step, actual)


def test_the_kit_has_21_scenarios() -> None:
    assert len(SCENARIOS) == 21


# -- The CTK's Then steps, on the platform's outcome ------------------------------------------
def _yaml(step: Step) -> Any:
    assert step.docstring is not None, f"{step.text}: docstring expected"
    return yaml.safe_load(step.docstring)


def _lookup(value: Any, path: str) -> Any:
    for part in path.split("."):
        assert isinstance(value, dict) and part in value, f"{path!r} missing in {value!r}"
        value = value[part]
    return value


def _completed(outcome: Outcome) -> None:
    assert outcome.completed, f"faulted: {outcome.error}"


def _order(outcome: Outcome, *names: str) -> list[int]:
    for name in names:
        assert name in outcome.tasks, f"{name} never ran: {outcome.tasks}"
    return [outcome.tasks.index(name) for name in names]


_STEPS: list[tuple[re.Pattern[str], Callable[[re.Match[str], Step, Outcome], None]]] = []


def _step(pattern: str) -> Callable[[Callable[[re.Match[str], Step, Outcome], None]], None]:
    def register(check: Callable[[re.Match[str], Step, Outcome], None]) -> None:
        _STEPS.append((re.compile(pattern + "$"), check))

    return register


@_step(r"the workflow should complete")
def _complete(match: re.Match[str], step: Step, outcome: Outcome) -> None:
    _completed(outcome)


@_step(r"the workflow should complete with output:")
def _complete_with(match: re.Match[str], step: Step, outcome: Outcome) -> None:
    _completed(outcome)
    assert outcome.output == _yaml(step)


@_step(r"the workflow should fault")
def _fault(match: re.Match[str], step: Step, outcome: Outcome) -> None:
    assert not outcome.completed, f"completed with {outcome.output!r}"


@_step(r"the workflow should fault with error:")
def _fault_with(match: re.Match[str], step: Step, outcome: Outcome) -> None:
    assert not outcome.completed, f"completed with {outcome.output!r}"
    expected = _yaml(step)
    problem = outcome.problem()
    assert {key: problem.get(key) for key in expected} == expected, problem


@_step(r"the workflow output should have properties (?P<names>'.+')")
def _properties(match: re.Match[str], step: Step, outcome: Outcome) -> None:
    _completed(outcome)
    for name in (n.strip().strip("'") for n in match["names"].split(",")):
        _lookup(outcome.output, name)


@_step(r"the workflow output should have a '(?P<path>[^']+)' property with value:")
def _value(match: re.Match[str], step: Step, outcome: Outcome) -> None:
    _completed(outcome)
    assert _lookup(outcome.output, match["path"]) == _yaml(step)


@_step(r"the workflow output should have a '(?P<path>[^']+)' property containing (?P<n>\d+) items")
def _count(match: re.Match[str], step: Step, outcome: Outcome) -> None:
    _completed(outcome)
    assert len(_lookup(outcome.output, match["path"])) == int(match["n"])


@_step(r"(?P<task>[\w-]+) should run first")
def _first(match: re.Match[str], step: Step, outcome: Outcome) -> None:
    assert outcome.tasks[:1] == [match["task"]], outcome.tasks


@_step(r"(?P<task>[\w-]+) should run last")
def _last(match: re.Match[str], step: Step, outcome: Outcome) -> None:
    assert outcome.tasks[-1:] == [match["task"]], outcome.tasks


@_step(r"(?P<later>[\w-]+) should run after (?P<earlier>[\w-]+)")
def _after(match: re.Match[str], step: Step, outcome: Outcome) -> None:
    earlier, later = _order(outcome, match["earlier"], match["later"])
    assert later > earlier, outcome.tasks


@_step(r"(?P<earlier>[\w-]+) should run before (?P<later>[\w-]+)")
def _before(match: re.Match[str], step: Step, outcome: Outcome) -> None:
    earlier, later = _order(outcome, match["earlier"], match["later"])
    assert later > earlier, outcome.tasks


def check_step(step: Step, outcome: Outcome) -> None:
    """Runs the check of ``step``; a step this grammar does not know fails loudly."""
    for pattern, check in _STEPS:
        match = pattern.match(step.text)
        if match:
            check(match, step, outcome)
            return
    raise AssertionError(f"no platform binding for CTK step {step.text!r}")
