"""Items of the order the customer names: "the blue water bottle", "both t-shirts", "everything
except the pet bed", "the botle". Returns the item ids of the order's lines; a write follows from
this, so a description that fits lines with different item ids is asked back, never guessed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from .base import (
    SlotContext,
    SlotResult,
    ambiguous,
    filled,
    missing,
    one_of,
    phrase,
    similar,
    singular,
    words,
)

# Mentions are split at these; each names one product (or "the red one").
# Not "or": "the chair or the bottle" is one unsure mention and must be asked back.
_SEPARATORS = re.compile(r"\s*(?:,|;|&|\band\b|\bplus\b|\bas well as\b|\balso\b|\bthen\b)\s*", re.I)
# A mention without a product name must point at an item ("the red one"), or "it's too small"
# would pick every small item.
_REFERENT = re.compile(r"\b(?:ones?|items?|things?|pairs?|versions?|variants?)\b", re.I)
_DEARER = re.compile(r"\b(?:more|most) (?:expensive|costly|pricey)\b|\bpricier\b|\bpriciest\b", re.I)
_CHEAPER = re.compile(r"\b(?:cheaper|cheapest|less expensive|least expensive)\b", re.I)
_UNIT = re.compile(r"\b(\d+(?:\.\d+)?) (ml|l|gb|tb|mah|mp|ft|mm|w|x|k|p)\b")
_ALL = re.compile(
    r"\b(?:all(?: of)?(?: the| my)? (?:items?|things?|products?|of (?:them|it))|everything|every item|"
    r"the (?:whole|entire) order|all of (?:them|it)|whole order|entire order|all \w+ items?)\b",
    re.I,
)
_EXCEPT = re.compile(
    r"\b(?:except(?: for)?|but not|other than|apart from|excluding|besides|but the|save for)\b", re.I
)
# Not digits: "2 liters" is an option. "2 t-shirts" is caught by the plural.
_EVERY_OF_A_KIND = re.compile(r"\b(?:both|all|every|each|two|three|four|five)\b", re.I)
_ITEM_ID = re.compile(r"(?<!\d)(\d{10})(?!\d)")

# Words a customer uses for a product whose catalogue name does not contain them. Only products
# present in the order are ever considered, so a broad alias cannot pick an item from elsewhere.
_ALIASES = {
    "watch": ("Wristwatch",),
    "tee": ("T-Shirt",),
    "shirt": ("T-Shirt",),
    "bike": ("Bicycle",),
    "phone": ("Smartphone",),
    "cellphone": ("Smartphone",),
    "shoe": ("Sneakers",),
    "trainer": ("Sneakers", "Running Shoes"),
    "earphone": ("Wireless Earbuds", "Headphones"),
    "headset": ("Headphones",),
    "suitcase": ("Luggage Set",),
    "luggage": ("Luggage Set",),
    "powerbank": ("Portable Charger",),
    "kindle": ("E-Reader",),
    "ereader": ("E-Reader",),
    "ipad": ("Tablet",),
    "computer": ("Laptop",),
    "shade": ("Sunglasses",),
    "bag": ("Backpack",),
    "coffee": ("Coffee Maker", "Espresso Machine"),
    "bbq": ("Grill",),
    "barbecue": ("Grill",),
    "shelf": ("Bookshelf",),
    "puzzle": ("Jigsaw Puzzle",),
    "weight": ("Dumbbell Set",),
    "fragrance": ("Perfume",),
    "cologne": ("Perfume",),
    "makeup": ("Makeup Kit",),
    "bulb": ("LED Light Bulb",),
    "fleece": ("Fleece Jacket",),
    "toothbrush": ("Electric Toothbrush",),
    "vacuum": ("Vacuum Cleaner",),
    "hoover": ("Vacuum Cleaner",),
}

# The reference catalogue's product names: a mention of one that the order does not contain is
# asked back ("this order has no Laptop") instead of being dropped from the list.
CATALOGUE_NAMES = (
    "Action Camera", "Air Purifier", "Backpack", "Bicycle", "Bluetooth Speaker", "Bookshelf",
    "Coffee Maker", "Cycling Helmet", "Desk Lamp", "Digital Camera", "Dumbbell Set", "E-Reader",
    "Electric Kettle", "Electric Toothbrush", "Espresso Machine", "Fleece Jacket", "Gaming Mouse",
    "Garden Hose", "Grill", "Headphones", "Hiking Boots", "Indoor Security Camera", "Jigsaw Puzzle",
    "LED Light Bulb", "Laptop", "Luggage Set", "Makeup Kit", "Mechanical Keyboard", "Notebook",
    "Office Chair", "Patio Umbrella", "Perfume", "Pet Bed", "Portable Charger", "Running Shoes",
    "Skateboard", "Smart Thermostat", "Smart Watch", "Smartphone", "Sneakers", "Sunglasses", "T-Shirt",
    "Tablet", "Tea Kettle", "Vacuum Cleaner", "Wall Clock", "Water Bottle", "Wireless Earbuds",
    "Wristwatch", "Yoga Mat",
)  # fmt: skip

# Name words too generic to name a product on their own ("smart", "electric", "set").
_GENERIC = frozenset(
    {
        "smart",
        "electric",
        "digital",
        "portable",
        "wireless",
        "indoor",
        "security",
        "light",
        "led",
        "set",
        "kit",
    }
    | {"running"}
)

# Option values that are ordinary words in a sentence; they count only next to their option name.
_WORDY_VALUES = frozenset({"yes", "no", "none", "standard", "low", "high", "medium", "art", "men", "women"})
_SIZE_WORDS = {
    " small ": "s",
    " medium ": "m",
    " large ": "l",
    " extra large ": "xl",
    " x large ": "xl",
    " 2xl ": "xxl",
}


@dataclass(frozen=True)
class _Line:
    index: int
    item_id: str
    name: str
    options: tuple  # ((key, value), ...)
    price: float


def _lines(order: dict | None) -> list[_Line]:
    items = (order or {}).get("items") or []
    lines = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        options = item.get("options") if isinstance(item.get("options"), dict) else {}
        price = item.get("price")
        lines.append(
            _Line(
                index,
                str(item.get("item_id", "")),
                str(item.get("name", "")),
                tuple((str(key), str(value)) for key, value in options.items()),
                float(price) if isinstance(price, int | float) else 0.0,
            )
        )
    return lines


@lru_cache(maxsize=1024)
def _name_vocabulary(name: str) -> tuple[str, tuple[str, ...], str]:
    """(head word, distinctive words, all words run together) of a product name, singular."""
    parts = [singular(word) for word in words(name)]
    distinctive = tuple(word for word in parts[:-1] if len(word) >= 3 and word not in _GENERIC)
    return (parts[-1] if parts else ""), distinctive, singular("".join(words(name)))


def _mention_tokens(tokens: list[str]) -> list[str]:
    """The mention's words, singular, and neighbouring pairs and triples joined ("t shirt" → "tshirt")."""
    pairs = [a + b for a, b in pairwise(tokens)]
    triples = [a + b + c for a, b, c in zip(tokens, tokens[1:], tokens[2:], strict=False)]
    return [singular(token) for token in tokens + pairs + triples]


@lru_cache(maxsize=65536)
def _token_strength(token: str, name: str) -> int:
    """How strongly one word names the product: 3 whole name, 2 head word or alias, 1 another name word."""
    head, distinctive, whole = _name_vocabulary(name)
    if similar(token, whole):
        return 3
    if similar(token, head) or name in _ALIASES.get(token, ()):
        return 2
    return 1 if any(similar(token, word) for word in distinctive) else 0


def _product_score(name: str, tokens: list[str]) -> int:
    return max((_token_strength(token, name) for token in tokens), default=0)


@lru_cache(maxsize=1)
def _catalogue_index() -> dict[str, tuple[str, ...]]:
    """Whole names, head words and aliases of the catalogue → the product names they name."""
    index: dict[str, list[str]] = {}
    for name in CATALOGUE_NAMES:
        head, _, whole = _name_vocabulary(name)
        for word in (head, whole):
            index.setdefault(word, []).append(name)
    for alias, names in _ALIASES.items():
        index.setdefault(alias, []).extend(names)
    return {word: tuple(dict.fromkeys(names)) for word, names in index.items()}


@lru_cache(maxsize=65536)
def _catalogue_names(token: str) -> tuple[str, ...]:
    """The catalogue products a word names (strength 2 or more), typos included."""
    index = _catalogue_index()
    if token in index:
        return index[token]
    return tuple(name for word, names in index.items() if similar(token, word) for name in names)


def _plural_mention(name: str, tokens: list[str]) -> bool:
    """The customer wrote the product in the plural ("t-shirts") where the catalogue name is singular."""
    head = (words(name) or [""])[-1]
    if head.endswith("s"):
        return False
    return any(token != singular(token) and similar(singular(token), singular(head)) for token in tokens)


@lru_cache(maxsize=8192)
def _option_pattern(key: str, value: str) -> tuple[str, str, str]:
    """(how the value is matched, value phrase, key phrase)."""
    value_phrase, key_phrase = phrase(value), phrase(key)
    bare = value_phrase.strip()
    if bare in ("yes", "no"):
        return "flag", value_phrase, key_phrase
    if bare in _WORDY_VALUES or bare.isdigit():
        return "next_to_key", value_phrase, key_phrase
    if len(bare) == 1:
        return "letter", value_phrase, key_phrase
    return "phrase", _UNIT.sub(r"\1\2", value_phrase), key_phrase


def _option_hit(key: str, value: str, mention: str, raw: str) -> bool:
    how, value_phrase, key_phrase = _option_pattern(key, value)
    if how == "flag":
        if key_phrase not in mention:
            return False
        if f"{key_phrase.rstrip()} yes " in mention or f"{key_phrase.rstrip()} no " in mention:
            return f"{key_phrase.rstrip()}{value_phrase}" in mention
        negated = any(f" {negation}{key_phrase}" in mention for negation in ("not", "non", "no"))
        return negated == (value_phrase.strip() == "no")
    if how == "next_to_key":
        return (
            f"{key_phrase.rstrip()}{value_phrase}" in mention
            or f"{value_phrase.rstrip()}{key_phrase}" in mention
        )
    if key == "size" and any(
        size == value_phrase.strip() and word in mention for word, size in _SIZE_WORDS.items()
    ):
        return True
    if how == "letter":
        # One-letter sizes count only as written ("M", "size m"), never as the "m" of "I'm".
        return (
            bool(re.search(rf"(?<![\w']){re.escape(value)}(?![\w'])", raw))
            or f" size{value_phrase}" in mention
        )
    return value_phrase in mention


def _option_hits(line: _Line, mention: str, raw: str) -> int:
    return sum(_option_hit(key, value, mention, raw) for key, value in line.options)


def _label(line: _Line, lines: list[_Line]) -> str:
    """The name and the options telling the line from same-named ones: "the T-Shirt (color blue, size M)"."""
    others = [other for other in lines if other.name == line.name and other.item_id != line.item_id]
    differing = [
        f"{key} {value}"
        for key, value in line.options
        if any((key, value) not in other.options for other in others)
    ]
    return f"the {line.name} ({', '.join(differing)})" if differing else f"the {line.name}"


def _by_price(segment: str, candidates: list[_Line]) -> list[_Line]:
    if _DEARER.search(segment):
        top = max(line.price for line in candidates)
        return [line for line in candidates if line.price == top]
    if _CHEAPER.search(segment):
        bottom = min(line.price for line in candidates)
        return [line for line in candidates if line.price == bottom]
    return candidates


def _pick(segment: str, lines: list[_Line]) -> tuple[list[_Line], bool] | None:
    """The lines one mention names and whether that is a definite choice; None if it names no line."""
    tokens = words(segment)
    mention_tokens = _mention_tokens(tokens)
    scores = {line.name: _product_score(line.name, mention_tokens) for line in lines}
    best = max(scores.values(), default=0)
    if not best and not _REFERENT.search(segment):
        return None
    candidates = [line for line in lines if scores[line.name] == best]
    mention = _UNIT.sub(r"\1\2", phrase(segment))
    hits = {line.index: _option_hits(line, mention, segment) for line in candidates}
    top = max(hits.values(), default=0)
    if not best and not top:
        return None
    candidates = _by_price(segment, [line for line in candidates if hits[line.index] == top])
    wants_every = bool(_EVERY_OF_A_KIND.search(segment)) or any(
        _plural_mention(line.name, tokens) for line in candidates
    )
    if len({line.item_id for line in candidates}) == 1 and not wants_every:
        return candidates[:1], True
    return candidates, wants_every


def _foreign_product(segment: str, lines: list[_Line]) -> str | None:
    """A catalogue product the mention names that the order does not contain."""
    present = {line.name for line in lines}
    for token in _mention_tokens(words(segment)):
        for name in _catalogue_names(token):
            if name not in present:
                return name
    return None


@dataclass(frozen=True)
class _Resolution:
    lines: list[_Line]
    unclear: list[_Line] | None = None  # the candidates of the first mention that fits several items
    foreign: str | None = None  # a product the order does not contain


def _mentions(text: str, lines: list[_Line]) -> list[tuple[str, bool]]:
    """(piece, whether it names a product) for the text cut at "and", commas …; a piece naming no
    product and no "one" describes the previous mention further ("the skateboard, length 28 inch")."""
    mentions: list[tuple[str, bool]] = []
    for segment in _SEPARATORS.split(text):
        tokens = _mention_tokens(words(segment))
        names_product = any(_product_score(line.name, tokens) for line in lines)
        describes = (
            not names_product and not _REFERENT.search(segment) and not _foreign_product(segment, lines)
        )
        if mentions and describes:
            mentions[-1] = (f"{mentions[-1][0]}, {segment}", mentions[-1][1])
        else:
            mentions.append((segment, names_product))
    return mentions


def _resolve(text: str, lines: list[_Line]) -> _Resolution:
    chosen: dict[int, _Line] = {}
    mentions = _mentions(text, lines)
    index = 0
    while index < len(mentions):
        segment = mentions[index][0]
        picked = _pick(segment, lines)
        index += 1
        if picked is None:
            foreign = _foreign_product(segment, lines)
            if foreign:
                return _Resolution([], foreign=foreign)
            continue
        candidates, definite = picked
        if not definite and index < len(mentions) and not mentions[index][1]:
            # "the skateboard, the one with the 34 inch deck": the next piece narrows this one down.
            narrowed = _pick(f"{segment}, {mentions[index][0]}", lines)
            if narrowed and narrowed[1]:
                (candidates, definite), index = narrowed, index + 1
        if not definite:
            return _Resolution([], unclear=candidates)
        chosen.update((line.index, line) for line in candidates)
    return _Resolution(sorted(chosen.values(), key=lambda line: line.index))


def _order_contents(lines: list[_Line]) -> str:
    return f"This order has {one_of([_label(line, lines) for line in lines], 'and')}."


def _unresolved(resolution: _Resolution, lines: list[_Line]) -> SlotResult | None:
    if resolution.unclear:
        labels = [_label(line, lines) for line in resolution.unclear]
        return ambiguous(
            [line.item_id for line in resolution.unclear], f"Which item do you mean: {one_of(labels)}?"
        )
    if resolution.foreign:
        return missing(
            f"This order has no {resolution.foreign}. {_order_contents(lines)} Which items do you mean?"
        )
    return None


def extract_items(text: str, context: SlotContext) -> SlotResult:
    lines = _lines(context.order)
    if not lines:
        return missing("Which order is it? I need the order before I can tell which items you mean.")
    everything = _ALL.search(text)
    if everything:
        rest = text[everything.end() :]
        exception = _EXCEPT.search(rest)
        if not exception:
            return filled([line.item_id for line in lines])
        resolution = _resolve(rest[exception.end() :], lines)
        unresolved = _unresolved(resolution, lines)
        if unresolved:
            return unresolved
        left = [line.item_id for line in lines if line not in resolution.lines]
        if not resolution.lines or not left:
            return missing(f"Which items do you mean? {_order_contents(lines)}")
        return filled(left)
    resolution = _resolve(text, lines)
    unresolved = _unresolved(resolution, lines)
    if unresolved:
        return unresolved
    by_id = {line.item_id: line for line in lines}
    named_by_id = [by_id[item_id] for item_id in _ITEM_ID.findall(text) if item_id in by_id]
    chosen = sorted(
        {line.index: line for line in resolution.lines + named_by_id}.values(), key=lambda line: line.index
    )
    if not chosen:
        return missing(f"Which items do you mean? {_order_contents(lines)}")
    return filled([line.item_id for line in chosen])
