"""Constants and helpers of the agent tests (the fixtures are in agent_fixtures.py)."""

from __future__ import annotations

import json

from tests.scenarios.llm_server import Step

SCENARIO = "order-help"
INSTRUCTIONS = "Help the customer with their orders: status questions and returns of delivered items."
ALLOWED_TOOLS = ["get_order_details", "return_delivered_order_items", "calculate"]
ANN = "ann_lee_1"


def bad_arguments(name: str, arguments: str) -> Step:
    """A tool call whose arguments are whatever string the model wrote (not necessarily JSON)."""
    return Step("tool_call", (name, arguments))


def system_of(request: dict) -> str:
    return request["json"]["messages"][0]["content"]


def last_message(request: dict) -> dict:
    message = request["json"]["messages"][-1]
    return {**message, "content": json.loads(message["content"])} if message["role"] == "tool" else message
