"""The new variant of each chosen item: "the same shirt in red, size L", "the 1000ml one", "switch the
skateboard to the 34 inch", "same but in black". The options the customer names replace the current
item's; the others stay as they are. Exactly one available variant of the same product that fits and
differs from the current one fills the slot; several are asked back, none is explained — an exchange
or a modification follows from this, so it never guesses. The answer to a question asked back narrows
what was said before (`context.earlier`): "black, XL or XXL", then "XL", is black in XL."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .base import SlotContext, SlotResult, ambiguous, filled, missing, one_of, phrase, singular, unique, words
from .items import _ITEM_ID, _SEPARATORS, _UNIT, _mention_tokens, _option_hit, _product_score

# How many variants a "what is available" answer lists before it summarises by option instead.
MAX_LISTED = 4
# "extra large" would otherwise also read as "large" (size L).
_SIZE_PHRASES = ((" extra large ", " xl "), (" x large ", " xl "), (" double xl ", " xxl "))
_NUMBER_THEN_UNIT = re.compile(r"(\d)([a-z])")
# Units written several ways ("1.5 litre", "1.5L", "2 liters", "50 feet"), read as one.
_UNIT_WORDS = {
    "l": "liter",
    "litre": "liter",
    "lt": "liter",
    "feet": "ft",
    "foot": "ft",
    "inche": "inch",
    "in": "inch",
}


@dataclass(frozen=True)
class _Item:
    item_id: str
    name: str
    product_id: str
    options: dict
    price: float


def _chosen(context: SlotContext) -> list[_Item]:
    """The order lines of the `item_ids` slot, one per id as listed (an id twice is two lines)."""
    lines = [line for line in (context.order or {}).get("items") or [] if isinstance(line, dict)]
    chosen = []
    for item_id in context.previous.get("item_ids") or []:
        line = next((line for line in lines if str(line.get("item_id")) == item_id), None)
        if line is not None:
            options = line.get("options") if isinstance(line.get("options"), dict) else {}
            chosen.append(
                _Item(
                    item_id,
                    str(line.get("name", "")),
                    str(line.get("product_id", "")),
                    {str(k): str(v) for k, v in options.items()},
                    float(line.get("price") or 0),
                )
            )
    return chosen


def _variants(product: dict) -> list[dict]:
    variants = (product or {}).get("variants") or {}
    # In item id order and options by key name: PostgreSQL's jsonb does not keep the file's key order.
    usable = [v for v in variants.values() if isinstance(v, dict) and isinstance(v.get("options"), dict)]
    return sorted(usable, key=lambda variant: str(variant.get("item_id")))


def _describe(options: dict, keys=None) -> str:
    return ", ".join(f"{key} {options[key]}" for key in sorted(options) if keys is None or key in keys)


def _texts_per_product(text: str, items: list[_Item]) -> dict[str, str]:
    """The part of the message about each product: "the shirt in red and the mug in 500ml" gives the
    shirt "the shirt in red" and the mug "the mug in 500ml"; a piece naming no product belongs to the
    one named before it, and to every product when none was named yet."""
    names = unique(item.name for item in items)
    if len(names) == 1:
        return {names[0]: text}
    parts = dict.fromkeys(names, "")
    current: list[str] = names
    for segment in _SEPARATORS.split(text):
        tokens = _mention_tokens(words(segment))
        scores = {name: _product_score(name, tokens) for name in names}
        best = max(scores.values())
        if best:
            current = [name for name in names if scores[name] == best]
        for name in current:
            parts[name] += f" {segment},"
    return parts


def _loose(text: str) -> str:
    """Numbers and units apart, singular, spelt one way: "1.5L" and "1.5 liters" → " 1 5 liter "."""
    tokens = [singular(word) for word in words(_NUMBER_THEN_UNIT.sub(r"\1 \2", text.lower()))]
    out = [
        _UNIT_WORDS.get(word, word) if position and tokens[position - 1].isdigit() else word
        for position, word in enumerate(tokens)
    ]
    return " " + " ".join(out) + " "


def _said(key: str, value: str, mention: str, text: str, loose_text: str) -> bool:
    if _option_hit(key, value, mention, text):
        return True
    if value.lower() == "none":
        # "no backlight", "without backlight" is the value "none" of the option "backlight".
        return any(f" {negation}{phrase(key)}" in mention for negation in ("no", "without"))
    # Only values of several characters: a size "L" must not be read from the "l" of "1.5 l".
    loose_value = _loose(value)
    return len(loose_value.strip()) > 2 and any(c.isdigit() for c in value) and loose_value in loose_text


def _named_values(text: str, item: _Item, variants: list[dict]) -> dict[str, set[str]]:
    """Option key → the values of this product the text names (the current one dropped when the
    customer names it next to another: "from blue to red")."""
    mention = _UNIT.sub(r"\1\2", phrase(text))
    for spoken, size in _SIZE_PHRASES:
        mention = mention.replace(spoken, size)
    vocabulary: dict[str, list[str]] = {}
    for variant in variants:
        for key, value in variant["options"].items():
            vocabulary.setdefault(str(key), [])
            if str(value) not in vocabulary[str(key)]:
                vocabulary[str(key)].append(str(value))
    named: dict[str, set[str]] = {}
    loose_text = _loose(text)
    for key, values in vocabulary.items():
        hits = {value for value in values if _said(key, value, mention, text, loose_text)}
        # "faux leather" also contains "leather": the longer value is the one meant.
        hits = {value for value in hits if not any(value != o and phrase(value) in phrase(o) for o in hits)}
        if len(hits) > 1:
            hits.discard(item.options.get(key, ""))
        if hits:
            named[key] = hits
    return named


def _fits(options: dict, wanted: dict[str, set[str]], current: dict) -> bool:
    keys = set(options) | set(current)
    return all(
        (str(options.get(key)) in wanted[key]) if key in wanted else options.get(key) == current.get(key)
        for key in keys
    )


def _availability(name: str, variants: list[dict], keys) -> str:
    """What the product is available in, for the options the customer asked about."""
    available = [v for v in variants if v.get("available")]
    if not available:
        return f"No {name} is available at the moment."
    listed = []
    for key in sorted(keys):
        values = sorted({str(v["options"].get(key)) for v in available if key in v["options"]})
        listed.append(f"{key} {one_of(values)}")
    return f"The {name} is available in {'; '.join(listed)}."


def _variant_for(text: str, item: _Item, product: dict | None, earlier: tuple = ()) -> SlotResult:
    variants = _variants(product)
    if not variants:
        return missing(f"I can't see the variants of the {item.name} right now. Which one would you like?")
    by_id = {str(v.get("item_id")): v for v in variants}
    named_ids = [i for i in unique(_ITEM_ID.findall(text)) if i in by_id and i != item.item_id]
    if len(named_ids) == 1:
        variant = by_id[named_ids[0]]
        if variant.get("available"):
            return filled(named_ids[0])
        return missing(
            f"The {item.name} ({_describe(variant['options'])}) is not available. "
            f"{_availability(item.name, variants, variant['options'])} Which would you like instead?"
        )
    wanted: dict[str, set[str]] = {}
    for said in (*earlier, text):
        # An answer to "size XL or XXL?" names the size only: the colour said before still holds.
        wanted.update(_named_values(said, item, variants))
    current = f"the {item.name} you have ({_describe(item.options)})"
    if not wanted:
        return missing(
            f"What would you like instead of {current}? {_availability(item.name, variants, item.options)}"
        )
    fitting = [v for v in variants if _fits(v["options"], wanted, item.options)]
    candidates = [v for v in fitting if v.get("available") and str(v.get("item_id")) != item.item_id]
    if len(candidates) == 1:
        return filled(str(candidates[0]["item_id"]))
    if len(candidates) > 1:
        differing = [key for key in item.options if len({str(v["options"].get(key)) for v in candidates}) > 1]
        labels = [_describe(v["options"], differing) for v in candidates]
        return ambiguous(
            [str(v["item_id"]) for v in candidates],
            f"Which {item.name} would you like: {one_of(labels)}?",
        )
    if not fitting:
        reason = f"There is no {item.name} with {_describe(dict(_current_with(wanted, item.options)))}."
    elif all(str(v.get("item_id")) == item.item_id for v in fitting):
        reason = f"That is {current}."
    else:
        reason = f"The {item.name} with {_describe(fitting[0]['options'])} is not available."
    other = [
        v
        for v in variants
        if v.get("available")
        and str(v.get("item_id")) != item.item_id
        and all(str(v["options"].get(key)) in values for key, values in wanted.items())
    ]
    if other and len(other) <= MAX_LISTED:
        options = one_of([f"({_describe(v['options'])})" for v in other])
        return missing(f"{reason} It is available as {options}. Which would you like?")
    return missing(f"{reason} {_availability(item.name, variants, item.options)} Which would you like?")


def _current_with(wanted: dict[str, set[str]], current: dict):
    """The current options with the named ones in their place (for "there is no T-Shirt with …")."""
    for key, value in current.items():
        yield key, "/".join(sorted(wanted[key])) if key in wanted else value


def extract_new_items(text: str, context: SlotContext) -> SlotResult:
    items = _chosen(context)
    if not items:
        return missing("Which items would you like to change? I need them before the new variants.")
    parts = _texts_per_product(text, items)
    earlier = [_texts_per_product(said, items) for said in context.earlier if isinstance(said, str)]
    new_ids = []
    for item in items:
        said_before = tuple(part[item.name] for part in earlier)
        result = _variant_for(parts[item.name], item, context.products.get(item.product_id), said_before)
        if result.status != "filled":
            return result
        new_ids.append(result.value)
    return filled(new_ids)


def item_changes(order: dict | None, products: dict, item_ids: list, new_item_ids: list) -> dict:
    """Old → new for each chosen item and the price difference (positive: the customer pays), for the
    confirmation that lists them. Pure: the runner stores it as `results.new_items`."""
    context = SlotContext(order=order, previous={"item_ids": list(item_ids)})
    lines, difference = [], 0.0
    for item, new_id in zip(_chosen(context), new_item_ids, strict=False):
        variant = ((products.get(item.product_id) or {}).get("variants") or {}).get(new_id) or {}
        new_price = float(variant.get("price") or 0)
        difference += new_price - item.price
        lines.append(
            {
                "item_id": item.item_id,
                "name": item.name,
                "options": _describe(item.options),
                "price": item.price,
                "new_item_id": new_id,
                "new_options": _describe(variant.get("options") or {}),
                "new_price": new_price,
            }
        )
    difference = round(difference, 2)
    return {"lines": lines, "price_difference": difference, "price_difference_abs": abs(difference)}
