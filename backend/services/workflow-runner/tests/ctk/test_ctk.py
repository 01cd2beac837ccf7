"""Step bindings for the Serverless Workflow CTK (ctk-v1.0.3), read in place.

The grammar follows the CTK README (Arrange / Act / Assert). Definitions that
call petstore.swagger.io or httpbin.org are rewritten to the local fake
services before running (harness only; the feature files are never edited).
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from pytest_bdd import given, parsers, scenarios, then, when
from stigmer_testing.reference_data import ctk_features_dir
from tests.ctk.conftest import BackgroundHarness
from tests.engine.harness import RunResult, dump
from tests.support.fake_http_services import FakeHttpServices, rewrite_urls

pytestmark = pytest.mark.integration

scenarios(str(ctk_features_dir()))


class Scenario:
    """State shared by the steps of one scenario."""

    def __init__(self) -> None:
        self.definition: str = ""
        self.input: Any = {}
        self.result: RunResult | None = None

    @property
    def run(self) -> RunResult:
        assert self.result is not None, "the workflow has not been executed"
        return self.result


@pytest.fixture
def scenario_state() -> Scenario:
    return Scenario()


def _yaml(text: str) -> Any:
    return yaml.safe_load(text)


def _lookup(value: Any, path: str) -> Any:
    for part in path.split("."):
        assert isinstance(value, dict) and part in value, (
            f"property {path!r} missing (at {part!r}) in:\n{dump(value)}"
        )
        value = value[part]
    return value


# -- Arrange -----------------------------------------------------------------------------------
@given("a workflow with definition:")
def define_workflow(scenario_state: Scenario, docstring: str) -> None:
    scenario_state.definition = docstring


@given("given the workflow input is:")
@given("the workflow input is:")
def set_input(scenario_state: Scenario, docstring: str) -> None:
    scenario_state.input = _yaml(docstring)


# -- Act ---------------------------------------------------------------------------------------
@when("the workflow is executed")
def execute(
    scenario_state: Scenario, ctk_harness: BackgroundHarness, fake_http_services: FakeHttpServices
) -> None:
    definition = rewrite_urls(scenario_state.definition, fake_http_services.base_url)
    scenario_state.result = ctk_harness.call(
        ctk_harness.harness.run(definition, scenario_state.input)
    )


# -- Assert: workflow --------------------------------------------------------------------------
@then("the workflow should complete")
def should_complete(scenario_state: Scenario) -> None:
    assert scenario_state.run.completed, f"workflow faulted:\n{dump(scenario_state.run.error)}"


@then("the workflow should complete with output:")
def should_complete_with(scenario_state: Scenario, docstring: str) -> None:
    should_complete(scenario_state)
    assert scenario_state.run.output == _yaml(docstring)


@then("the workflow should fault")
def should_fault(scenario_state: Scenario) -> None:
    assert not scenario_state.run.completed, (
        f"workflow completed with:\n{dump(scenario_state.run.output)}"
    )


@then("the workflow should fault with error:")
def should_fault_with(scenario_state: Scenario, docstring: str) -> None:
    should_fault(scenario_state)
    expected = _yaml(docstring)
    error = scenario_state.run.error or {}
    actual = {key: error.get(key) for key in expected}
    assert actual == expected, f"error:\n{dump(error)}"


@then("the workflow should cancel")
def should_cancel(scenario_state: Scenario) -> None:
    assert scenario_state.run.cancelled, f"not cancelled: {dump(scenario_state.run.error)}"


@then(parsers.re(r"the workflow output should have properties (?P<names>'.+')$"))
def should_have_properties(scenario_state: Scenario, names: str) -> None:
    should_complete(scenario_state)
    for name in (n.strip().strip("'") for n in names.split(",")):
        _lookup(scenario_state.run.output, name)


@then(parsers.re(r"the workflow output should have a '(?P<path>[^']+)' property with value:"))
def should_have_value(scenario_state: Scenario, path: str, docstring: str) -> None:
    should_complete(scenario_state)
    assert _lookup(scenario_state.run.output, path) == _yaml(docstring)


@then(
    parsers.re(
        r"the workflow output should have a '(?P<path>[^']+)' property containing "
        r"(?P<count>\d+) items"
    )
)
def should_have_count(scenario_state: Scenario, path: str, count: str) -> None:
    should_complete(scenario_state)
    assert len(_lookup(scenario_state.run.output, path)) == int(count)


# -- Assert: tasks -----------------------------------------------------------------------------
def _order(scenario_state: Scenario) -> list[str]:
    return scenario_state.run.started_tasks()


@then(parsers.re(r"(?P<task>[\w-]+) should run first$"))
def runs_first(scenario_state: Scenario, task: str) -> None:
    assert _order(scenario_state)[:1] == [task], _order(scenario_state)


@then(parsers.re(r"(?P<task>[\w-]+) should run last$"))
def runs_last(scenario_state: Scenario, task: str) -> None:
    assert _order(scenario_state)[-1:] == [task], _order(scenario_state)


@then(parsers.re(r"(?P<later>[\w-]+) should run after (?P<earlier>[\w-]+)$"))
def runs_after(scenario_state: Scenario, later: str, earlier: str) -> None:
    order = _order(scenario_state)
    assert earlier in order and later in order, order
    assert order.index(later) > order.index(earlier), order


@then(parsers.re(r"(?P<earlier>[\w-]+) should run before (?P<later>[\w-]+)$"))
def runs_before(scenario_state: Scenario, earlier: str, later: str) -> None:
    runs_after(scenario_state, later, earlier)


@then(parsers.re(r"(?P<task>[\w-]+) should complete$"))
def task_completes(scenario_state: Scenario, task: str) -> None:
    assert scenario_state.run.task_event(task, "task_completed"), scenario_state.run.trace


@then(parsers.re(r"(?P<task>[\w-]+) should complete with output:"))
def task_completes_with(scenario_state: Scenario, task: str, docstring: str) -> None:
    event = scenario_state.run.task_event(task, "task_completed")
    assert event, scenario_state.run.trace
    assert event[3] == _yaml(docstring)


@then(parsers.re(r"(?P<task>[\w-]+) should cancel$"))
def task_cancels(scenario_state: Scenario, task: str) -> None:
    assert scenario_state.run.task_event(task, "task_cancelled"), scenario_state.run.trace


@then(parsers.re(r"(?P<task>[\w-]+) should fault$"))
def task_faults(scenario_state: Scenario, task: str) -> None:
    assert scenario_state.run.task_event(task, "task_faulted"), scenario_state.run.trace


@then(parsers.re(r"(?P<task>[\w-]+) should fault with error:"))
def task_faults_with(scenario_state: Scenario, task: str, docstring: str) -> None:
    event = scenario_state.run.task_event(task, "task_faulted")
    assert event, scenario_state.run.trace
    expected = _yaml(docstring)
    assert {k: event[3].get(k) for k in expected} == expected
