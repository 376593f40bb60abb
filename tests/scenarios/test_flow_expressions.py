"""Safe expressions (rule-engine, never eval) and plain-text templates of flows."""

from datetime import timedelta
from decimal import Decimal

import pytest

from scenarios.engine import expressions, templates

ORDER = {"order": {"status": "delivered", "items": [{"item_id": "1", "price": 10.5}]}}


def evaluate(text, *, slots=None, results=None, params=None, customer=None):
    return expressions.evaluate(
        text, slots=slots or {}, results=results or {}, params=params or {}, customer=customer
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("results['order']['status'] == 'delivered'", True),
        ("results['order']['status'] in ['pending', 'processed']", False),
        ("results['order']['items'][0]['price'] > 10", True),
        ("params['reship_allowed'] == true and params['cap'] >= 100", True),
        ("params['wait'] > 1", True),  # a duration reads as days
        ("customer != null", False),
        ("slots&['reason'] == null", True),
        ("slots['order_id'] =~ '#W[0-9]+'", True),
    ],
)
def test_evaluate__expression__expected_truth(text, expected):
    assert (
        evaluate(
            text,
            slots={"order_id": "#W123"},
            results=ORDER,
            params={"reship_allowed": True, "cap": Decimal("100.00"), "wait": timedelta(days=2)},
        )
        is expected
    )


def test_evaluate__python_code__refused_at_compile():
    for text in ["__import__('os').system('true')", "open('/etc/passwd')", "results.__class__"]:
        with pytest.raises(expressions.ExpressionError):
            evaluate(text, results=ORDER)


def test_evaluate__missing_key__expression_error():
    with pytest.raises(expressions.ExpressionError, match="lookup"):
        evaluate("results['order']['status'] == 'pending'")


def test_compile__unknown_symbol__names_it():
    with pytest.raises(expressions.ExpressionError, match="unknown symbol 'order'; use one of slots"):
        expressions.compile_expression("order == 1")


def test_slots_read__item_and_safe_access__all_found():
    text = "slots['a'] == 1 and slots&['c'] and results['x'] and [y for y in slots['d']]"

    assert expressions.slots_read(text) == {"a", "c", "d"}


def test_compile__attribute_access_on_mapping__refused():
    with pytest.raises(expressions.ExpressionError):
        expressions.compile_expression("slots.b == 1")


def test_render__plain_text__no_html_escaping():
    text = templates.render(
        "Order {{ slots.order_id }} for <{{ slots.name }}>: {{ slots.items|join:', ' }}{{ missing.x }}",
        {"slots": {"order_id": "#W1", "name": "Tom & Jerry", "items": ["a", "b"]}},
    )

    assert text == "Order #W1 for <Tom & Jerry>: a, b"


def test_render__file_loading_tags__refused():
    with pytest.raises(templates.TemplateError):
        templates.compile_template("{% include '/etc/passwd' %}")
    with pytest.raises(templates.TemplateError):
        templates.compile_template("{% load static %}{% static 'x' %}")


def test_template_slots_read__tags_and_variables__only_inside_tags():
    text = "slots.zz {{ slots.a|upper }} {% if slots.b == 'x' %}{{ results.c }}{% endif %}"

    assert templates.slots_read(text) == {"a", "b"}
