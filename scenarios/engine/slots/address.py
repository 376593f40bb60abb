"""A US address from free text: "445 Maple Drive, Suite 394, Fort Worth, Texas, 76165"."""

from __future__ import annotations

import re

from .base import SlotContext, SlotResult, filled, missing, one_of

STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado",
    "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas",
    "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts",
    "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico",
    "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma",
    "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
}  # fmt: skip
_STATE_BY_NAME = {name.lower(): code for code, name in STATES.items()}
# A city named like its state, alone: the city, in that state ("101 Highway, New York, 10001").
# "Washington" alone is not one of them: the city is in DC, the state is elsewhere.
_CITY_IN_SAME_STATE = {"new york": "NY"}

_STREET_START = re.compile(r"(?<![\w#-])(\d{1,6}[a-z]?)\s+(?=[a-z])", re.I)
_SUFFIX = (
    r"street|st|avenue|ave|road|rd|drive|dr|lane|ln|boulevard|blvd|way|court|ct|place|pl|highway|hwy|"
    r"circle|cir|parkway|pkwy|terrace|ter|trail|trl|square|sq|loop|alley|crescent|close|row|plaza|walk"
)
_UNIT_WORDS = r"suite|ste|apartment|apt|unit|floor|fl|room|rm|building|bldg"
_ADDRESS1 = re.compile(rf"^\d{{1,6}}[a-z]?\s+[^,\n]*?\b(?:{_SUFFIX})\b\.?", re.I)
# A street without a suffix ("854 Broadway"): up to a comma or a unit.
_ADDRESS1_UNTIL_UNIT = re.compile(rf"^\d{{1,6}}[a-z]?\s+[^,\n]*?(?=\s*,|\s+(?:{_UNIT_WORDS})\b|\s*#|$)", re.I)
_UNIT = re.compile(
    rf"^\s*,?\s*((?:{_UNIT_WORDS})\.?\s*#?\s*[\w-]+|#\s*[\w-]+)",
    re.I,
)
_ZIP = re.compile(r"\b(\d{5})(?:-\d{4})?\b")
_COUNTRY = re.compile(r"[,\s]*\b(?:usa|u\.s\.a\.?|us|united states(?: of america)?)\W*$", re.I)
# "Ship it to my default address" names an address the customer already has. It is a value only where
# the address is for an order (`context.order`): asked for the NEW default address, "please update
# the default address on my account" names the slot, not its value.
_DEFAULT_ADDRESS = re.compile(
    r"\b(?:default|profile|account|home|usual) address\b|\baddress (?:on file|in my profile)\b", re.I
)


def _split_state(place: str) -> tuple[str, str]:
    """("Fort Worth, Texas") or ("Denver CO") → (city, state code); state "" if none is named."""
    parts = [part.strip() for part in place.split(",") if part.strip()]
    if not parts:
        return "", ""
    last = parts[-1]
    if len(parts) >= 2 and (last.upper() in STATES or last.lower() in _STATE_BY_NAME):
        code = last.upper() if last.upper() in STATES else _STATE_BY_NAME[last.lower()]
        return ", ".join(parts[:-1]), code
    if len(parts) == 1 and last.lower() in _CITY_IN_SAME_STATE:
        return last, _CITY_IN_SAME_STATE[last.lower()]
    if len(parts) >= 2 or last.lower() in _STATE_BY_NAME:
        return ", ".join(parts), ""
    # No comma between city and state: try the last one, two or three words as the state.
    tokens = last.split()
    for size in (3, 2, 1):
        if len(tokens) <= size:
            continue
        tail = " ".join(tokens[-size:])
        if size == 1 and tail.isupper() and tail in STATES:
            return " ".join(tokens[:-1]), tail
        if tail.lower() in _STATE_BY_NAME:
            return " ".join(tokens[:-1]), _STATE_BY_NAME[tail.lower()]
        if (
            size == 1
            and tail.upper() in STATES
            and len(tokens) > 1
            and tail.lower() not in ("in", "me", "or", "ok")
        ):
            return " ".join(tokens[:-1]), tail.upper()
    return last, ""


def _parse(text: str) -> dict:
    start = _STREET_START.search(text)
    if start is None:
        return {}
    rest = text[start.start() :].strip()
    zip_match = None
    for zip_match in _ZIP.finditer(rest):  # noqa: B007 - the last zip after the street
        pass
    if zip_match and zip_match.start() == 0:
        zip_match = None
    tail_end = zip_match.start() if zip_match else len(rest)
    street = _ADDRESS1.match(rest[:tail_end]) or _ADDRESS1_UNTIL_UNIT.match(rest[:tail_end])
    address1 = street.group(0).strip(" .,")
    after = rest[street.end() : tail_end]
    unit = _UNIT.match(after)
    address2 = unit.group(1).strip() if unit else ""
    place = _COUNTRY.sub("", after[unit.end() :] if unit else after).strip(" ,.;")
    city, state = _split_state(place)
    return {
        "address1": address1,
        "address2": address2,
        "city": city.strip(" ,."),
        "state": state,
        "country": "USA",
        "zip": zip_match.group(1) if zip_match else "",
    }


def extract_address(text: str, context: SlotContext) -> SlotResult:
    address = _parse(text)
    if not address:
        customer_address = (context.customer or {}).get("address")
        for_an_order = isinstance(context.order, dict)
        if for_an_order and _DEFAULT_ADDRESS.search(text) and isinstance(customer_address, dict):
            return filled(dict(customer_address))
        return missing("What is the full address: street and number, city, state and zip code?")
    lacking = [
        label
        for label, key in (("street", "address1"), ("city", "city"), ("state", "state"), ("zip code", "zip"))
        if not address[key]
    ]
    if lacking:
        return missing(
            f"I still need the {one_of(lacking, 'and')} of the address. Could you send the full address?"
        )
    return filled(address)
