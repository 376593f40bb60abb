"""The `new_items` slot against the shipped τ²-retail catalogue, with the wishes of the reference
tasks' customers (tasks_train.json: exchange and modify-items tasks) in their own words."""

import json
from dataclasses import replace

import pytest

from aftersales.marketplace.io import SHIPPED_DB_JSON
from scenarios.engine.runner import FlowEnvironment, ToolOutcome, run_turn
from scenarios.engine.slots import SlotContext, SlotResult, extract
from scenarios.engine.slots.variants import item_changes


@pytest.fixture(scope="session")
def catalogue() -> dict:
    """item id → (product id, product) of the shipped db.json, read once per session."""
    products = json.loads(SHIPPED_DB_JSON.read_text(encoding="utf-8"))["products"]
    return {item_id: (pid, product) for pid, product in products.items() for item_id in product["variants"]}


@pytest.fixture(scope="session")
def context_for(catalogue):
    """A context whose order holds the given items (all of them chosen), with their products."""

    def make(*item_ids, chosen=None) -> SlotContext:
        lines = []
        for item_id in item_ids:
            product_id, product = catalogue[item_id]
            variant = product["variants"][item_id]
            lines.append(
                {
                    "name": product["name"],
                    "product_id": product_id,
                    "item_id": item_id,
                    "price": variant["price"],
                    "options": variant["options"],
                }
            )
        return SlotContext(
            order={"items": lines},
            previous={"item_ids": list(chosen if chosen is not None else item_ids)},
            products={catalogue[item_id][0]: catalogue[item_id][1] for item_id in item_ids},
        )

    return make


@pytest.mark.parametrize(
    ("current", "text", "new"),
    [
        # task 3: a small blue cotton v-neck T-Shirt → purple, same size, same v-neck, polyester
        ("8349118980", "I'd like it in purple, polyester, same size and v-neck", "9647292434"),
        # task 0: the keyboard with clicky switches and no backlight
        ("1151293680", "clicky switches, backlight none", "7706410293"),
        ("1151293680", "the same one with clicky switches but no backlight", "7706410293"),
        # task 15: the hiking boots in size 8, waterproof or not
        ("1615379700", "a size 8, not waterproof", "3613716226"),
        # task 41: the easiest jigsaw with the fewest pieces
        ("9779102705", "the easiest one: 500 pieces, beginner", "1096508426"),
        # task 29: a shorter bamboo skateboard
        ("4293355847", "switch the skateboard to the 28 inch", "8176740019"),
        ("4293355847", "a shorter one, 28-inch", "8176740019"),
        # task 8: a brighter desk lamp
        ("8384507844", "a brighter one, high brightness", "9083642334"),
        # task 29: the garden hose of the pending order (50ft vinyl black)
        ("5753502325", "the 50 feet one in vinyl, black", "5206946487"),
        ("1906487464", "I want the 1.5 litre one", "3738831434"),
        ("1906487464", "1.5L please", "3738831434"),
        ("4579334072", "the 1000ml stainless steel one", "7661609223"),
        ("4579334072", "the 1000 ml stainless steel one", "7661609223"),
        ("9612497925", "the same shirt in purple, size extra large", "8124970213"),
        ("9612497925", "from blue to black, size XL", "2060066974"),
        ("9612497925", "item 8124970213 please", "8124970213"),
    ],
)
def test_new_items__one_available_variant_fits__filled_with_it(context_for, current, text, new):
    # given an order with one chosen item
    context = context_for(current)

    # when the customer names the options that change
    result = extract("new_items", text, context=context)

    # then the only available variant with those options and the rest unchanged is chosen
    assert result == SlotResult("filled", value=[new])


def test_new_items__two_products_named_in_one_message__each_gets_its_own_options(context_for):
    # given task 0's keyboard and thermostat, both chosen
    context = context_for("1151293680", "4983901480")

    # when one message names the new options of both
    result = extract(
        "new_items",
        "the keyboard with clicky switches and backlight none, and the thermostat compatible with "
        "Google Assistant",
        context=context,
    )

    # then the new ids are aligned with the chosen items
    assert result == SlotResult("filled", value=["7706410293", "7747408585"])


SHIRT_AVAILABLE = (
    "The T-Shirt is available in color black, blue, purple or red; material cotton or polyester; size L, M, "
    "S, XL or XXL; style crew neck or v-neck."
)


@pytest.mark.parametrize(
    ("current", "text", "question"),
    [
        # task 0: the keyboard (linear, RGB, full size) with clicky switches only; that one is not available
        (
            "1151293680",
            "the same one but with clicky switches",
            "The Mechanical Keyboard with backlight RGB, size full size, switch type clicky is not "
            "available. It is available as (backlight RGB, size 80%, switch type clicky), (backlight white, "
            "size full size, switch type clicky), (backlight none, size full size, switch type clicky) or "
            "(backlight none, size 80%, switch type clicky). Which would you like?",
        ),
        # a 750ml glass black water bottle: no 1000ml glass bottle exists in black
        (
            "4579334072",
            "the 1000ml one",
            "There is no Water Bottle with capacity 1000ml, color black, material glass. It is available as "
            "(capacity 1000ml, color red, material stainless steel) or (capacity 1000ml, color black, "
            "material stainless steel). Which would you like?",
        ),
        # a maple 28 inch graphic skateboard: the maple 34 inch graphic one is not available
        (
            "2819462352",
            "switch the skateboard to the 34 inch",
            "The Skateboard with deck material maple, design graphic, length 34 inch is not available. The "
            "Skateboard is available in deck material bamboo, maple or plastic; design custom, graphic or "
            "plain; length 28 inch, 31 inch or 34 inch. Which would you like?",
        ),
        # item 5047954489 (blue S polyester v-neck) is not available
        (
            "9612497925",
            "item 5047954489 please",
            "The T-Shirt (color blue, material polyester, size S, style v-neck) is not available. "
            f"{SHIRT_AVAILABLE} Which would you like instead?",
        ),
        # the customer names what they already have
        (
            "9612497925",
            "the same one in blue",
            "That is the T-Shirt you have (color blue, material cotton, size M, style crew neck). It is "
            "available as (color blue, material cotton, size S, style v-neck). Which would you like?",
        ),
        (
            "9612497925",
            "hmm, I'm not sure",
            "What would you like instead of the T-Shirt you have (color blue, material cotton, size M, style "
            f"crew neck)? {SHIRT_AVAILABLE}",
        ),
    ],
)
def test_new_items__no_available_variant_fits__missing_saying_what_is_available(
    context_for, current, text, question
):
    # given an order with one chosen item
    context = context_for(current)

    # when the customer's words fit no available variant other than the current one
    result = extract("new_items", text, context=context)

    # then nothing is guessed: the question says what is available
    assert result == SlotResult("missing", question=question)


def test_new_items__several_named_values_fit__ambiguous_naming_the_distinguishing_option(context_for):
    # given a blue M crew-neck cotton T-Shirt
    context = context_for("9612497925")

    # when the customer hesitates between two sizes that both exist in black cotton crew neck
    result = extract("new_items", "black, in XL or XXL", context=context)

    # then the customer is asked, with only the option that differs
    assert result == SlotResult(
        "ambiguous",
        candidates=("2060066974", "3799046073"),
        question="Which T-Shirt would you like: size XL or size XXL?",
    )


def test_new_items__answer_to_the_size_question__keeps_the_colour_said_before(context_for):
    # given a blue M crew-neck cotton T-Shirt, and "black, in XL or XXL" was asked back
    context = replace(context_for("9612497925"), earlier=("black, in XL or XXL",))

    # when the customer answers with the size only
    result = extract("new_items", "XL", context=context)

    # then black XL, not the blue XL the colour of the current shirt would give
    assert result == SlotResult("filled", value=["2060066974"])


def test_new_items__answer_names_nothing_after_an_ambiguity__asked_the_same_question_again(context_for):
    context = replace(context_for("9612497925"), earlier=("black, in XL or XXL",))

    result = extract("new_items", "hmm, not sure", context=context)

    assert result == SlotResult(
        "ambiguous",
        candidates=("2060066974", "3799046073"),
        question="Which T-Shirt would you like: size XL or size XXL?",
    )


def test_new_items__answer_names_another_colour__the_answer_replaces_it(context_for):
    context = replace(context_for("9612497925"), earlier=("black, in XL or XXL",))

    result = extract("new_items", "purple XL actually", context=context)

    assert result == SlotResult("filled", value=["8124970213"])


def test_run_turn__variant_question_answered__new_item_keeps_the_earlier_options(catalogue):
    # given a flow waiting for the new variant of a blue M T-Shirt (products read through the gateway)
    product_id, product = catalogue["9612497925"]
    line = {"name": "T-Shirt", "product_id": product_id, "item_id": "9612497925", "price": 50.0,
            "options": product["variants"]["9612497925"]["options"]}  # fmt: skip
    flow = {
        "start": "ask_new",
        "steps": {
            "ask_new": {"type": "collect", "clause": "X-1", "slot": "new_item_ids", "kind": "new_items",
                        "prompt": "What instead?", "next": "done"},
            "done": {"type": "end", "clause": "X-1", "outcome": "resolved",
                     "template": "{{ slots.new_item_ids|join:',' }}"},
        },
    }  # fmt: skip
    state = {
        "step": "ask_new",
        "waiting": True,
        "slots": {"item_ids": ["9612497925"]},
        "results": {"order": {"items": [line]}},
    }

    def gateway(name, arguments, **_):
        return ToolOutcome("executed", product if arguments == {"product_id": product_id} else None)

    environment = FlowEnvironment(call_tool=gateway)

    # when the customer says two sizes in black, then picks one
    first = run_turn(flow, state, "black, in XL or XXL", environment)
    second = run_turn(flow, first.state, "XL", environment)

    # then the question named only the size, and the answer kept the black
    assert (first.reply, first.ended) == ("Which T-Shirt would you like: size XL or size XXL?", False)
    assert first.state["narrowing"] == {"ask_new": ["black, in XL or XXL"]}
    assert (second.reply, second.ended, second.state["slots"]["new_item_ids"]) == (
        "2060066974",
        True,
        ["2060066974"],
    )
    assert second.state["narrowing"] == {}


def test_new_items__no_chosen_items__missing(context_for):
    # given an order whose items were not chosen yet
    context = context_for("9612497925", chosen=[])

    # when
    result = extract("new_items", "in purple", context=context)

    # then
    assert result == SlotResult(
        "missing", question="Which items would you like to change? I need them before the new variants."
    )


def test_new_items__product_not_read__missing(context_for):
    # given the chosen item's product could not be read
    context = SlotContext(order=context_for("9612497925").order, previous={"item_ids": ["9612497925"]})

    # when
    result = extract("new_items", "in purple", context=context)

    # then
    assert result == SlotResult(
        "missing", question="I can't see the variants of the T-Shirt right now. Which one would you like?"
    )


def test_item_changes__two_items__lines_and_signed_price_difference(context_for):
    # given task 0's keyboard and thermostat and their new variants
    context = context_for("1151293680", "4983901480")

    # when
    changes = item_changes(
        context.order, context.products, ["1151293680", "4983901480"], ["7706410293", "7747408585"]
    )

    # then
    assert changes == {
        "lines": [
            {
                "item_id": "1151293680",
                "name": "Mechanical Keyboard",
                "options": "backlight RGB, size full size, switch type linear",
                "price": 272.33,
                "new_item_id": "7706410293",
                "new_options": "backlight none, size full size, switch type clicky",
                "new_price": 269.16,
            },
            {
                "item_id": "4983901480",
                "name": "Smart Thermostat",
                "options": "color black, compatibility Apple HomeKit",
                "price": 262.47,
                "new_item_id": "7747408585",
                "new_options": "color black, compatibility Google Assistant",
                "new_price": 249.01,
            },
        ],
        "price_difference": -16.63,
        "price_difference_abs": 16.63,
    }
