"""The workflow documents of the reference data: spec examples and CTK scenarios.

CTK scenarios are read from the feature files in place with the CTK grammar
(Given a workflow with definition / the workflow input is / Then ...), so tests
other than the pytest-bdd bindings (converter round trips, the platform run)
see the same definitions and expectations.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from stigmer_testing.reference_data import ctk_features_dir, spec_dir

_STEP = re.compile(r"^\s*(Given|When|Then|And|But)\s+(.*?)\s*$")
_SCENARIO = re.compile(r"^\s*Scenario:\s*(.*?)\s*$")
_DOC_FENCE = re.compile(r'^(\s*)"""')


@dataclass(frozen=True)
class Step:
    text: str
    docstring: str | None = None


@dataclass(frozen=True)
class CtkScenario:
    feature: str
    name: str
    steps: tuple[Step, ...] = field(default=())

    @property
    def id(self) -> str:
        return f"{self.feature}:{self.name}"

    def docstring(self, text: str) -> str | None:
        """The docstring of the first step whose text is ``text`` (without "given" prefix)."""
        for step in self.steps:
            if step.text.removeprefix("given ") == text:
                return step.docstring
        return None

    @property
    def definition(self) -> str:
        value = self.docstring("a workflow with definition:")
        assert value is not None, f"{self.id}: no definition"
        return value


def spec_examples() -> list[Path]:
    return sorted((spec_dir() / "examples").glob("*.yaml"))


def ctk_scenarios() -> list[CtkScenario]:
    """Every scenario of every feature file, in file order."""
    scenarios: list[CtkScenario] = []
    for path in sorted(ctk_features_dir().glob("*.feature")):
        scenarios.extend(_parse(path))
    return scenarios


def _parse(path: Path) -> list[CtkScenario]:
    lines = path.read_text(encoding="utf-8").splitlines()
    scenarios: list[CtkScenario] = []
    name: str | None = None
    steps: list[Step] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        scenario = _SCENARIO.match(line)
        step = _STEP.match(line)
        if scenario:
            if name is not None:
                scenarios.append(CtkScenario(path.stem, name, tuple(steps)))
            name, steps = scenario.group(1), []
        elif step and name is not None:
            docstring = None
            fence = _DOC_FENCE.match(lines[index + 1]) if index + 1 < len(lines) else None
            if fence:
                end = index + 2
                while not _DOC_FENCE.match(lines[end]):
                    end += 1
                docstring = textwrap.dedent("\n".join(lines[index + 2 : end])) + "\n"
                index = end
            steps.append(Step(step.group(2), docstring))
        index += 1
    if name is not None:
        scenarios.append(CtkScenario(path.stem, name, tuple(steps)))
    return scenarios
