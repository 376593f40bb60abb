"""Slot extractors: what a `collect` step fills from the customer's message.

Pure functions of (text, context) — no database, no network — so the flow engine can call them on
every turn. Each returns a `SlotResult`: `filled` with a value, `ambiguous` with the candidates the
customer must choose between, or `missing`, both with a specific question to ask back. A write may
follow from a slot, so an extractor never guesses between candidates.

Values per kind: `order_id` "#W2611340"; `email` lower-cased; `name_zip` {first_name, last_name, zip};
`items` list of item ids of `context.order` (an id twice when the order has that item twice and the
customer names both); `yes_no` True/False; `cancel_reason` one of `context.allowed_reasons`;
`payment_method` a payment method id; `address` {address1, address2, city, state, country, zip} ("my
default address" is the customer's address, but only for an order's address: `context.order` set);
`text` the stripped message; `new_items` list of item ids of `context.products`: an available variant
of the same product per id of the `item_ids` slot, aligned with it. Candidates are values of the same
kind (item ids, payment method ids …).
"""

from __future__ import annotations

from collections.abc import Callable

from .address import extract_address
from .answers import extract_cancel_reason, extract_text, extract_yes_no
from .base import SlotContext, SlotResult, bounded
from .identity import extract_email, extract_name_zip, extract_order_id
from .items import extract_items
from .payment import extract_payment_method
from .variants import extract_new_items

EXTRACTORS: dict[str, Callable[[str, SlotContext], SlotResult]] = {
    "order_id": extract_order_id,
    "email": extract_email,
    "name_zip": extract_name_zip,
    "items": extract_items,
    "yes_no": extract_yes_no,
    "cancel_reason": extract_cancel_reason,
    "payment_method": extract_payment_method,
    "address": extract_address,
    "text": extract_text,
    "new_items": extract_new_items,
}
KINDS = frozenset(EXTRACTORS)

__all__ = ["EXTRACTORS", "KINDS", "SlotContext", "SlotResult", "extract"]


def extract(kind: str, text: str, *, context: SlotContext) -> SlotResult:
    """Fill a slot of `kind` from one customer message. An unknown kind is a programming error."""
    extractor = EXTRACTORS.get(kind)
    if extractor is None:
        raise ValueError(f"Unknown slot kind {kind!r}; expected one of {', '.join(sorted(KINDS))}.")
    return extractor(bounded(text), context if context is not None else SlotContext())
