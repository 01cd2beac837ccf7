"""An agent's cost cap needs prices: protovalidate rules see one field at a time."""

from __future__ import annotations

from typing import cast

from google.protobuf.message import Message
from stigmer.agent.v1 import api_pb2

from stigmer_server.validation.field_violations import FieldViolation


async def validate_agent_limits(resource: Message) -> list[FieldViolation]:
    """``spec.limits.max_cost_usd`` set without a token price cannot be enforced:
    every call would cost nothing, so the cap would silently never apply."""
    limits = cast(api_pb2.Agent, resource).spec.limits
    if limits.max_cost_usd > 0 and not (
        limits.input_token_price_usd > 0 or limits.output_token_price_usd > 0
    ):
        return [
            FieldViolation(
                "spec.limits.max_cost_usd",
                "max_cost_usd needs input_token_price_usd or output_token_price_usd "
                "(US dollars per million tokens)",
                "agent.limits.cost_prices",
            )
        ]
    return []
