"""The slot result and context types and the text helpers every extractor shares."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any, Literal

# A chat message longer than this is cut before any pattern runs: it bounds the work of one
# extraction (the engine runs it inside a request) whatever a client sends.
MAX_TEXT_CHARS = 2000

# Fuzzy token matching: a 6-letter word with one letter dropped ("botle") scores 0.91, one letter
# swapped in a 5-letter word ("mouse"/"house", "watch"/"match") 0.80, which must not match.
FUZZY_CUTOFF = 0.85
FUZZY_MIN_LENGTH = 5

Status = Literal["filled", "ambiguous", "missing"]


@dataclass(frozen=True)
class SlotResult:
    status: Status
    value: Any = None  # filled: the value (str, bool, list[str], dict)
    candidates: tuple = ()  # ambiguous: the values the customer must choose between
    question: str = ""  # ambiguous/missing: what to ask back


@dataclass(frozen=True)
class SlotContext:
    """What an extractor may read. `order` and `customer` are in the τ²-retail JSON shape."""

    order: dict | None = None
    customer: dict | None = None
    allowed_reasons: tuple | list = ("no longer needed", "ordered by mistake")
    previous: dict = field(default_factory=dict)
    # product_id → product {name, product_id, variants: {item_id: {item_id, options, available, price}}}
    products: dict = field(default_factory=dict)
    # This collect's earlier messages that were ambiguous, oldest first: the answer to "size XL or
    # XXL?" narrows "black, XL or XXL" rather than replacing it (only `new_items` reads them).
    earlier: tuple = ()


def filled(value: Any) -> SlotResult:
    return SlotResult("filled", value=value)


def ambiguous(candidates, question: str) -> SlotResult:
    return SlotResult("ambiguous", candidates=tuple(candidates), question=question)


def missing(question: str) -> SlotResult:
    return SlotResult("missing", question=question)


def bounded(text: Any) -> str:
    if not isinstance(text, str):
        return ""
    return text[:MAX_TEXT_CHARS].replace("\u2019", "'").replace("\u2018", "'")


_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """Lower-cased alphanumeric words: "T-Shirts, 1000ml!" → ["t", "shirts", "1000ml"]."""
    return _WORD.findall(text.lower())


def phrase(text: str) -> str:
    """The words of `text` joined by spaces and padded: `" x y " in phrase(...)` is a whole-word test."""
    return " " + " ".join(words(text)) + " "


@lru_cache(maxsize=4096)
def singular(word: str) -> str:
    """A crude singular that is applied to both sides of every comparison, so it need not be English."""
    if len(word) <= 3 or word.endswith("ss"):
        return word
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("s"):
        return word[:-1]
    return word


@lru_cache(maxsize=16384)
def similar(typed: str, known: str) -> bool:
    """Whether `typed` is `known` or a typo of it (a dropped, doubled or swapped letter in a long word)."""
    if typed == known:
        return True
    if len(typed) == len(known) >= FUZZY_MIN_LENGTH - 1:
        differing = [i for i, (a, b) in enumerate(zip(typed, known, strict=True)) if a != b]
        # Two neighbouring letters swapped ("chiar") is the commonest typo, and rarely another word.
        if len(differing) == 2 and differing[1] == differing[0] + 1:
            return typed[differing[0]] == known[differing[1]] and typed[differing[1]] == known[differing[0]]
    if len(typed) < FUZZY_MIN_LENGTH or len(known) < FUZZY_MIN_LENGTH or abs(len(typed) - len(known)) > 2:
        return False
    # Customers' typos rarely hit the first and the last letter at once; this skips most pairs cheaply.
    if typed[0] != known[0] and typed[-1] != known[-1]:
        return False
    return SequenceMatcher(None, typed, known).ratio() >= FUZZY_CUTOFF


def one_of(labels: list[str], conjunction: str = "or") -> str:
    """["a", "b", "c"] → "a, b or c"."""
    if len(labels) <= 1:
        return "".join(labels)
    return f"{', '.join(labels[:-1])} {conjunction} {labels[-1]}"


def unique(values) -> list:
    """Distinct values in first-seen order."""
    return list(dict.fromkeys(values))
