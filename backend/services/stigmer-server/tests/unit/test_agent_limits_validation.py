"""An agent's cost cap at validation: it needs a token price; prices alone are fine."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf import json_format
from stigmer.agent.v1 import api_pb2
from stigmer_server.validation.agent_limits import validate_agent_limits
from stigmer_server.validation.field_violations import violations_of


def agent(**limits: Any) -> api_pb2.Agent:
    return json_format.ParseDict(
        {"metadata": {"name": "capped"}, "spec": {"instructions": "be brief", "limits": limits}},
        api_pb2.Agent(),
    )


@pytest.mark.parametrize(
    "limits",
    [
        {},
        {"maxCostUsd": 0.5, "outputTokenPriceUsd": 15},
        {"maxCostUsd": 0.5, "inputTokenPriceUsd": 3},
        {"inputTokenPriceUsd": 3, "outputTokenPriceUsd": 15},  # prices without a cap
    ],
)
async def test_accepted(limits: dict[str, Any]) -> None:
    resource = agent(**limits)
    assert violations_of(resource) == []
    assert await validate_agent_limits(resource) == []


async def test_a_cap_without_prices_names_the_cap() -> None:
    [violation] = await validate_agent_limits(agent(maxCostUsd=0.5))
    assert violation.field == "spec.limits.max_cost_usd"
    assert "input_token_price_usd or output_token_price_usd" in violation.message


@pytest.mark.parametrize(
    ("limits", "field"),
    [
        ({"maxCostUsd": -0.01, "inputTokenPriceUsd": 3}, "spec.limits.max_cost_usd"),
        ({"maxCostUsd": 1, "inputTokenPriceUsd": -3}, "spec.limits.input_token_price_usd"),
        (
            {"maxCostUsd": 1, "outputTokenPriceUsd": "Infinity"},
            "spec.limits.output_token_price_usd",
        ),
    ],
)
def test_negative_or_infinite_amounts_are_refused_by_their_rules(
    limits: dict[str, Any], field: str
) -> None:
    assert field in [v.field for v in violations_of(agent(**limits))]
