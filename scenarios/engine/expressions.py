"""Conditions of `decide` steps, evaluated by the rule-engine library (its own grammar; never Python
`eval`). Four symbols exist: `slots`, `results`, `params` (the region's resolved SOP parameters)
and `customer` (the verified customer id or null); anything else is a parse error, so a typo is
caught when the flow is saved, not when a customer meets it.

    results['order']['status'] == 'pending'
    results['order']['status'] in ['delivered'] and params['reship_allowed'] == true
    customer != null
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import timedelta
from decimal import Decimal
from functools import lru_cache

import rule_engine
from rule_engine import ast as rule_ast
from rule_engine.types import DataType

SYMBOLS = ("slots", "results", "params", "customer")
MAX_LENGTH = 1000

_MAPPING = DataType.MAPPING(DataType.STRING, DataType.UNDEFINED)
_CONTEXT = rule_engine.Context(
    type_resolver=rule_engine.type_resolver_from_dict(
        {"slots": _MAPPING, "results": _MAPPING, "params": _MAPPING, "customer": DataType.UNDEFINED}
    ),
    default_timezone="UTC",
    mapping_attribute_lookup=False,
)


class ExpressionError(ValueError):
    """The expression does not parse, names an unknown symbol, or failed at evaluation."""


@lru_cache(maxsize=2048)
def compile_expression(text: str) -> rule_engine.Rule:
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"longer than {MAX_LENGTH} characters")
    try:
        return rule_engine.Rule(text, context=_CONTEXT)
    except rule_engine.errors.SymbolResolutionError as error:
        raise ExpressionError(
            f"unknown symbol {error.symbol_name!r}; use one of {', '.join(SYMBOLS)}"
        ) from error
    except rule_engine.errors.EngineError as error:
        raise ExpressionError(getattr(error, "message", str(error)) or type(error).__name__) from error


def _plain(value):
    """rule-engine compares numbers as Decimal and knows no timedelta: give it plain values."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, timedelta):
        return Decimal(value.total_seconds()) / 86400  # durations read as days
    if isinstance(value, float):
        return Decimal(str(value))
    return value


def evaluate(text: str, *, slots: dict, results: dict, params: Mapping, customer: str | None) -> bool:
    rule = compile_expression(text)
    thing = {
        "slots": _plain(slots),
        "results": _plain(results),
        # Converted only when the condition names them: reading them may cost a round trip.
        "params": _plain(params) if "params" in text else {},
        "customer": customer,
    }
    try:
        return bool(rule.evaluate(thing))
    except rule_engine.errors.EngineError as error:
        # A missing key (`results['order']` before the order was read) or a type clash.
        raise ExpressionError(getattr(error, "message", str(error)) or type(error).__name__) from error


def _attributes(node) -> list:
    names = [*getattr(node, "__dict__", {}), *getattr(type(node), "__slots__", ())]
    return [getattr(node, name, None) for name in names if not name.startswith("_")]


def _children(node) -> Iterator:
    for value in _attributes(node):
        if isinstance(value, rule_ast.ExpressionBase):
            yield value
        elif isinstance(value, list | tuple):
            for entry in value:
                if isinstance(entry, rule_ast.ExpressionBase):
                    yield entry
                elif isinstance(entry, tuple):  # mapping literals hold (key, value) pairs
                    yield from (e for e in entry if isinstance(e, rule_ast.ExpressionBase))


def _walk(node) -> Iterator:
    yield node
    for child in _children(node):
        yield from _walk(child)


def slots_read(text: str) -> set[str]:
    """The slot names the expression reads (`slots['x']` or `slots&['x']`)."""
    names: set[str] = set()
    for node in _walk(compile_expression(text).statement.expression):
        if isinstance(node, rule_ast.GetItemExpression):
            container, item = node.container, node.item
            if (
                isinstance(container, rule_ast.SymbolExpression)
                and container.name == "slots"
                and isinstance(item, rule_ast.StringExpression)
            ):
                names.add(item.value)
    return names
