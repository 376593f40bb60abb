"""Who the customer is and which order they mean: order ids, emails, name and zip."""

from __future__ import annotations

import re

from .base import SlotContext, SlotResult, ambiguous, filled, missing, one_of, unique

ORDER_ID_DIGITS = 7

# "#W2611340", "w2611340", "# W-2611340", and a bare "2611340" (customers drop the W, task 46 of
# τ²-retail). Any run of 5-9 digits is captured so a wrong length can be named in the question.
_ORDER_ID = re.compile(r"(?<![\w#])(#?\s?w\s?-?\s?)?(\d{5,9})(?![\d])", re.IGNORECASE)
_EMAIL = re.compile(
    r"(?<![\w.+-])([a-z0-9][a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})(?![\w-])", re.I
)
_ZIP = re.compile(r"(?<![\d#-])(\d{5})(?:-\d{4})?(?!\d)")
_ZIP_CUE = re.compile(r"\b(?:zip|postal|postcode|post code)\b(?:\s*code)?\s*(?:is|:|=)?\s*(\d{3,9})\b", re.I)

_ORDER_ID_QUESTION = "What is your order id? It starts with #W followed by 7 digits, e.g. #W1234567."


def _customer_preference(values: list[str], owned: set[str]) -> list[str]:
    """Of several values the customer's own ones, if any (the guard still checks whatever is returned)."""
    theirs = [value for value in values if value in owned]
    return theirs or values


def _choose(values: list[str], owned: set[str], what: str) -> SlotResult | None:
    values = _customer_preference(values, owned)
    if len(values) == 1:
        return filled(values[0])
    if len(values) > 1:
        return ambiguous(values, f"Which {what} do you mean: {one_of(values)}?")
    return None


def extract_order_id(text: str, context: SlotContext) -> SlotResult:
    ids, wrong_length = [], []
    for match in _ORDER_ID.finditer(text):
        prefixed, digits = match.group(1), match.group(2)
        if len(digits) == ORDER_ID_DIGITS:
            ids.append(f"#W{digits}")
        elif prefixed:
            wrong_length.append(f"#W{digits}")
    owned = set((context.customer or {}).get("orders") or ())
    chosen = _choose(unique(ids), owned, "order")
    if chosen is not None:
        return chosen
    if wrong_length:
        return missing(
            f"{wrong_length[0]} does not look like an order id: order ids are #W followed by 7 digits. "
            "Could you check the number?"
        )
    return missing(_ORDER_ID_QUESTION)


def extract_email(text: str, context: SlotContext) -> SlotResult:
    emails = unique(match.group(1).lower().rstrip(".") for match in _EMAIL.finditer(text))
    owned = {str((context.customer or {}).get("email", "")).lower()}
    chosen = _choose(emails, owned, "email address")
    if chosen is not None:
        return chosen
    if "@" in text:
        return missing("That email address looks incomplete. Could you type it again, e.g. name@example.com?")
    return missing("What is the email address of your account?")


# --- name and zip -----------------------------------------------------------------------------

_NAME_PART = r"[A-Za-z][A-Za-z'\-]*"
# Explicitly labelled parts win over everything: "first name Yusuf, last name Rossi".
_FIRST_LABEL = re.compile(rf"\bfirst\s*name\s*(?:is|:|=)?\s*({_NAME_PART})", re.I)
_LAST_LABEL = re.compile(rf"\b(?:last|family|sur)\s*name\s*(?:is|:|=)?\s*({_NAME_PART})", re.I)
# A cue then the name: "I'm Yusuf Rossi", "my name is yusuf rossi", "this is Mei Davis".
_NAME_CUE = re.compile(
    rf"\b(?:my\s+name\s+is|name\s+is|name\s*:|i\s*'?\s*a?m|this\s+is|it\s*'?\s*s|call\s+me|"
    rf"you\s+are)\s+((?:{_NAME_PART}\s*){{1,4}})",
    re.I,
)
# "Rossi, Yusuf" when it is the whole name part of the message.
_LAST_COMMA_FIRST = re.compile(rf"^\s*({_NAME_PART}),\s*({_NAME_PART})\s*(?:[,;]|$|\d)")
# A bare answer to "your name and zip?": "Yusuf Rossi, 19122", "hi, yusuf rossi 19122", "Rossi".
_LEADING_NAME = re.compile(
    rf"^\s*(?:(?:hi|hello|hey)\b[,!.]?\s*)?({_NAME_PART})(?:\s+({_NAME_PART}))?\s*(?:[,;.!]|$|\d)", re.I
)

# Words that follow "I'm" or open a sentence but are not names ("I'm looking", "Hi There").
_NOT_NAMES = frozenset(  # a word list reads better as words than as a list literal
    """a an the and or but in at on of from to for with by near my our your his her their me i im zip
    code postal is am are was be been here there hi hello hey thanks thank please dear sir madam
    living live lives located based staying calling writing trying looking wondering hoping going
    having not so very just also still really sorry glad happy sad angry new old yes no ok okay
    sure customer user order email name first last city state street avenue road drive lane suite
    apt mr mrs ms miss dr good morning afternoon evening it it's its that's thats i'm""".split()  # noqa: SIM905
)


def _name_words(chunk: str, capitalised_only: bool) -> list[str]:
    found = []
    for word in chunk.split():
        if word.lower() in _NOT_NAMES or (capitalised_only and not word[0].isupper()):
            break
        found.append(word)
    return found


def _name_from_text(text: str) -> tuple[str, str]:
    first = _FIRST_LABEL.search(text)
    last = _LAST_LABEL.search(text)
    if first or last:
        return (first.group(1) if first else "", last.group(1) if last else "")
    comma = _LAST_COMMA_FIRST.match(text)
    if comma and comma.group(1).lower() not in _NOT_NAMES and comma.group(2).lower() not in _NOT_NAMES:
        return comma.group(2), comma.group(1)
    # Mixed-case text: trust capitals. All lower-case text: only the stop list separates name and verb.
    capitalised_only = text != text.lower()
    for match in _NAME_CUE.finditer(text):
        found = _name_words(match.group(1), capitalised_only)
        if found:
            return found[0], (found[-1] if len(found) > 1 else "")
    leading = _LEADING_NAME.match(text)
    if leading and not any(word.lower() in _NOT_NAMES for word in leading.groups() if word):
        return leading.group(1), leading.group(2) or ""
    return "", ""


def _title(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-")) if name else ""


def extract_name_zip(text: str, context: SlotContext) -> SlotResult:
    """{first_name, last_name, zip}; parts the message lacks are taken from slots filled earlier."""
    first, last = _name_from_text(text)
    previous = context.previous or {}
    if first and not last and previous.get("first_name") and not previous.get("last_name"):
        first, last = "", first  # the answer to "what is your last name?"
    cued = _ZIP_CUE.search(text)
    zips = unique(match.group(1) for match in _ZIP.finditer(text))
    first = _title(first) or previous.get("first_name", "")
    last = _title(last) or previous.get("last_name", "")
    if cued and len(cued.group(1)) != 5 and not zips:
        return missing(
            f"{cued.group(1)} does not look like a zip code: US zip codes have 5 digits. What is it?"
        )
    if len(zips) > 1:
        return ambiguous(zips, f"Which is your zip code: {one_of(zips)}?")
    zip_code = zips[0] if zips else previous.get("zip", "")
    lacking = [
        label
        for label, value in (("first name", first), ("last name", last), ("zip code", zip_code))
        if not value
    ]
    if lacking:
        return missing(f"Could you tell me your {one_of(lacking, 'and')}?")
    return filled({"first_name": first, "last_name": last, "zip": zip_code})
