"""Which payment method: "the original one", "my gift card", "paypal", "my visa ending 9212"."""

from __future__ import annotations

import re

from .base import SlotContext, SlotResult, ambiguous, filled, missing, one_of, unique

_ORIGINAL = re.compile(
    r"\b(?:original(?:ly)?|same (?:card|method|payment|way|account|one)|"
    r"(?:card|method|account|one) i (?:used|paid)|"
    r"i paid with|where it came from|how i paid|back to (?:the|my) (?:original )?(?:payment|source))\b",
    re.I,
)
_GIFT_CARD = re.compile(r"\b(?:gift ?cards?|gc|store credit|voucher)\b", re.I)
_PAYPAL = re.compile(r"\bpay ?pal\b", re.I)
_CARD = re.compile(
    r"\b(?:credit ?cards?|debit ?cards?|cards?|visa|master ?card|amex|american express|discover)\b", re.I
)
_BRANDS = {"visa": "visa", "master": "mastercard", "amex": "amex", "american": "amex", "discover": "discover"}
_LAST_FOUR = re.compile(r"(?<![\d.$])(\d{4})(?![\d.])")
_METHOD_ID = re.compile(r"\b((?:gift_card|credit_card|paypal)_\d+)\b", re.I)
# A method named after one of these is the one the customer does not want ("not the gift card").
_NEGATION = re.compile(
    r"\b(?:not|no|don'?t|do not|instead of|rather than|other than|except|without|never)\W+(?:\w+\W+)?$", re.I
)


def _methods(context: SlotContext) -> list[dict]:
    methods = (context.customer or {}).get("payment_methods") or {}
    return [method for method in methods.values() if isinstance(method, dict) and method.get("id")]


def _original(context: SlotContext) -> str | None:
    for entry in (context.order or {}).get("payment_history") or []:
        if isinstance(entry, dict) and entry.get("transaction_type", "payment") == "payment":
            return entry.get("payment_method_id") or None
    return None


def _label(method: dict) -> str:
    source = method.get("source")
    if source == "credit_card":
        return f"your {str(method.get('brand', 'credit')).title()} card ending {method.get('last_four', '?')}"
    if source == "gift_card":
        balance = method.get("balance")
        return (
            f"your gift card (balance ${balance:.2f})"
            if isinstance(balance, int | float)
            else "your gift card"
        )
    if source == "paypal":
        return "your PayPal account"
    return f"{method.get('id')}"


def _wanted(pattern: re.Pattern, text: str) -> bool:
    """Whether a match of `pattern` is not negated ("instead of the gift card" does not want it)."""
    return any(not _NEGATION.search(text[: match.start()]) for match in pattern.finditer(text))


def _cards(text: str, methods: list[dict]) -> list[str]:
    cards = [method for method in methods if method.get("source") == "credit_card"]
    brands = {brand for word, brand in _BRANDS.items() if re.search(rf"\b{word}", text, re.I)}
    if brands:
        cards = [card for card in cards if str(card.get("brand", "")).lower() in brands]
    fours = set(_LAST_FOUR.findall(text))
    if fours:
        cards = [card for card in cards if str(card.get("last_four")) in fours]
    return [card["id"] for card in cards]


def _chosen(text: str, context: SlotContext, methods: list[dict]) -> list[str]:
    by_source = {
        source: [method["id"] for method in methods if method.get("source") == source]
        for source in ("gift_card", "paypal")
    }
    chosen = [match.group(1).lower() for match in _METHOD_ID.finditer(text)]
    if _wanted(_ORIGINAL, text):
        chosen += [original] if (original := _original(context)) else ["<original unknown>"]
    without_gift = _GIFT_CARD.sub(" ", text)
    if _wanted(_GIFT_CARD, text):
        chosen += by_source["gift_card"] or ["<no gift card>"]
    if _wanted(_PAYPAL, text):
        chosen += by_source["paypal"] or ["<no paypal>"]
    if _wanted(_CARD, without_gift) and not _ORIGINAL.search(without_gift):
        chosen += _cards(without_gift, methods) or ["<no such card>"]
    return unique(chosen)


def extract_payment_method(text: str, context: SlotContext) -> SlotResult:
    """A payment method id of the customer or the order's original one; several that fit are asked back."""
    methods = _methods(context)
    by_id = {method["id"]: method for method in methods}
    chosen = _chosen(text, context, methods)
    known = [method_id for method_id in chosen if not method_id.startswith("<")]
    listed = one_of([_label(method) for method in methods])
    on_file = f" The payment methods on file are {listed}." if methods else ""
    if len(known) == 1:
        return filled(known[0])
    if len(known) > 1:
        labels = [_label(by_id[method_id]) if method_id in by_id else method_id for method_id in known]
        return ambiguous(known, f"Which payment method do you mean: {one_of(labels)}?")
    if "<no gift card>" in chosen:
        return missing(f"I can't find a gift card on your account.{on_file} Which one should I use?")
    if "<no paypal>" in chosen:
        return missing(f"I can't find a PayPal account on your profile.{on_file} Which one should I use?")
    if "<no such card>" in chosen:
        return missing(f"I can't find that card on your account.{on_file} Which one should I use?")
    if "<original unknown>" in chosen:
        return missing(
            f"I can't see the original payment method of this order.{on_file} Which one should I use?"
        )
    return missing(f"Which payment method should I use: the original one of the order or another?{on_file}")
