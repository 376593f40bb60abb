"""The read tools of the τ²-retail contract. Results are the JSON shapes of db.json (see io.py)."""

from __future__ import annotations

import ast
import math
import operator
from typing import Any

from aftersales.marketplace.io import customer_details, order_details, product_as_json, variant_json
from aftersales.models import Customer, Product, Variant

from .errors import ToolError

USER_NOT_FOUND = "User not found"
ORDER_NOT_FOUND = "Order not found"
EXPRESSION_CHARACTERS = frozenset("0123456789+-*/(). ")
EXPRESSION_MAX_LENGTH = 1000
BINARY_OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
UNARY_OPERATORS = {ast.UAdd: operator.pos, ast.USub: operator.neg}


def _first_user_id(**lookups: str) -> str:
    user_id = (
        Customer.objects.filter(**lookups).order_by("position").values_list("user_id", flat=True).first()
    )
    if user_id is None:
        raise ToolError(USER_NOT_FOUND)
    return user_id


def find_user_id_by_email(*, email: str) -> str:
    return _first_user_id(email__iexact=email)


def find_user_id_by_name_zip(*, first_name: str, last_name: str, zip: str) -> str:
    return _first_user_id(first_name__iexact=first_name, last_name__iexact=last_name, zip=zip)


def get_user_details(*, user_id: str) -> dict[str, Any]:
    details = customer_details(user_id)
    if details is None:
        raise ToolError(USER_NOT_FOUND)
    return details


def get_order_details(*, order_id: str) -> dict[str, Any]:
    details = order_details(order_id)
    if details is None:
        raise ToolError(ORDER_NOT_FOUND)
    return details


def get_product_details(*, product_id: str) -> dict[str, Any]:
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise ToolError("Product not found")
    return product_as_json(product)


def get_item_details(*, item_id: str) -> dict[str, Any]:
    variant = Variant.objects.filter(pk=item_id).first()
    if variant is None:
        raise ToolError("Item not found")
    return variant_json(variant)


def list_all_product_types() -> dict[str, str]:
    return dict(sorted(Product.objects.values_list("name", "product_id")))


def calculate(*, expression: str) -> str:
    """Arithmetic on numbers with + - * / and parentheses, rounded to 2 places, as text ("3.0").

    Evaluated by walking the parsed tree (never ``eval``); only number literals and the four operators
    are accepted."""
    if not isinstance(expression, str) or not set(expression) <= EXPRESSION_CHARACTERS:
        raise ToolError("Invalid characters in expression")
    if len(expression) > EXPRESSION_MAX_LENGTH:
        raise ToolError("Expression too long")
    try:
        value = _evaluate(ast.parse(expression, mode="eval").body)
    except ZeroDivisionError as error:
        raise ToolError("Division by zero") from error
    except (SyntaxError, ValueError, OverflowError, RecursionError) as error:
        raise ToolError("Invalid expression") from error
    if not math.isfinite(value):
        raise ToolError("Invalid expression")
    return str(round(value, 2))


def _evaluate(node: ast.AST) -> float:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return float(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in BINARY_OPERATORS:
        return BINARY_OPERATORS[type(node.op)](_evaluate(node.left), _evaluate(node.right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in UNARY_OPERATORS:
        return UNARY_OPERATORS[type(node.op)](_evaluate(node.operand))
    # ** and // parse from the allowed characters but are not arithmetic the contract offers.
    raise ValueError("unsupported expression")
