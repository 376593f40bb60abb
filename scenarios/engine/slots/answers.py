"""Short answers: an explicit yes or no, a cancellation reason from the allowed list, free text."""

from __future__ import annotations

import re

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

# Idioms that contain "no" but do not refuse ("no problem, go ahead"); removed before looking for a no.
_NOT_A_NO = re.compile(r"\b(?:no (?:problem|worries|doubt)|not a problem|why not)\b", re.I)
# Not knowing is neither yes nor no: "I don't know", "not sure".
_UNSURE = re.compile(
    r"\b(?:(?:i )?(?:do ?n[o']?t|dont) know|not sure|unsure|maybe|perhaps|let me think|"
    r"(?:i )?(?:can ?n[o']?t|cant) decide)\b",
    re.I,
)
_NO = re.compile(
    r"\b(?:no+|nope|nah|nay|n|negative|not (?:now|yet|really|right|correct|ok|okay|that)|"
    r"(?:do ?n[o']?t|dont|do not)(?: do (?:it|that)| want| proceed| cancel| go ahead)?|"
    r"never ?mind|stop|wait|hold on|hang on|changed? my mind|keep (?:it|them|the order|my order)|"
    r"that'?s (?:wrong|incorrect)|incorrect|wrong|i (?:do not|don't) agree|absolutely not|of course not)\b",
    re.I,
)
# "cancel that" refuses only as the whole message; "yes, cancel the order" confirms a cancellation.
# "cancel it" could confirm a cancellation as well as drop the action: neither, so it is asked back.
_CANCEL_THAT = re.compile(r"^\W*(?:no\W+)?cancel (?:that|this)\W*$", re.I)
# Words that confirm only as the whole answer: "please" (but "please don't"), "right" (but "right now").
_YES_ALONE = re.compile(r"^\W*(?:please|right|fine|k)\W*$", re.I)
_YES = re.compile(
    r"\b(?:y|yes+|yeah|yea|yep|yup|ya|sure|certainly|ok|okay|alright|all right|that'?s fine|correct|"
    r"affirmative|absolutely|definitely|of course|confirm(?:ed)?|i confirm|go ahead|go for it|do it|"
    r"please do|proceed|sounds good|looks good|that'?s right|that works|agreed?|i agree|let'?s do it|"
    r"i do|i would)\b|👍|✅",
    re.I,
)
_LEADING_ANSWER = re.compile(r"^\W*(yes|yeah|yep|yup|sure|ok|okay|no|nope|nah)\b", re.I)
_YES_NO_QUESTION = "Please answer yes or no."


def _spans_removed(pattern: re.Pattern, text: str) -> tuple[str, bool]:
    remainder, count = pattern.subn(" ", text)
    return remainder, bool(count)


def extract_yes_no(text: str, context: SlotContext) -> SlotResult:
    """True for an explicit yes, False for an explicit no; both or neither are asked back."""
    stripped = text.strip()
    leading = _LEADING_ANSWER.match(stripped)
    if stripped.endswith("?") and not leading:
        # "Can you confirm the amount first?" asks something; it confirms nothing.
        return missing(f"I will answer that, but first: do you want me to go ahead? {_YES_NO_QUESTION}")
    remainder, unsure = _spans_removed(_UNSURE, _NOT_A_NO.sub(" go ahead ", stripped))
    said_no = bool(_CANCEL_THAT.match(stripped))
    remainder, found_no = _spans_removed(_NO, remainder)
    said_no = said_no or found_no
    said_yes = bool(_YES.search(remainder) or _YES_ALONE.match(stripped))
    if said_yes and said_no:
        return ambiguous((True, False), f"I read both a yes and a no. {_YES_NO_QUESTION}")
    if said_yes and not unsure:
        return filled(True)
    if said_no:
        return filled(False)
    if said_yes:
        return ambiguous((True, False), f"It sounds like you are not sure yet. {_YES_NO_QUESTION}")
    return missing(_YES_NO_QUESTION)


# Paraphrases per reason of the reference policy; a reason without paraphrases matches by its words.
_REASON_PARAPHRASES = {
    "no longer needed": re.compile(
        r"\b(?:no longer (?:need|want)|(?:do ?n[o']?t|dont|do not|won'?t|will not) (?:need|want|use)|"
        r"not (?:needed|necessary|required)|no need|no use for|need(?:ed)? no more|changed? my mind|"
        r"not (?:need|want) (?:it|them|this|that)|unnecessary|(?:don'?t|do not) have a use|"
        r"plans? changed|found (?:it|one|them|a better)|bought (?:it|one) elsewhere|not interested)\b",
        re.I,
    ),
    "ordered by mistake": re.compile(
        r"\b(?:by (?:mistake|accident|error)|mistaken(?:ly)?|accident(?:al(?:ly)?)?|in error|mistake|"
        r"(?:did ?n[o']?t|didnt|did not) mean to|unintentional(?:ly)?|"
        r"wrong (?:item|order|size|color|colour|one)|"
        r"ordered (?:the wrong|twice|two by)|duplicate(?: order)?|double[- ]?order(?:ed)?|misclick(?:ed)?|"
        r"by mistake|mis-?ordered|typo)\b",
        re.I,
    ),
}


def _reason_named(reason: str, text: str, spoken: list[str]) -> bool:
    paraphrases = _REASON_PARAPHRASES.get(reason.lower())
    if paraphrases is not None and paraphrases.search(text):
        return True
    if phrase(reason) in phrase(text):
        return True
    # A reason typed with typos ("no longer neded"): every word of the reason is in the message.
    wanted = [singular(word) for word in words(reason)]
    return bool(wanted) and all(any(similar(word, said) for said in spoken) for word in wanted)


def extract_cancel_reason(text: str, context: SlotContext) -> SlotResult:
    allowed = [str(reason) for reason in (context.allowed_reasons or ())]
    spoken = [singular(word) for word in words(text)]
    named = [reason for reason in allowed if _reason_named(reason, text, spoken)]
    quoted = one_of([f'"{reason}"' for reason in allowed])
    if len(named) == 1:
        return filled(named[0])
    if named:
        return ambiguous(named, f"Which is the reason: {quoted}?")
    if not allowed:
        return missing("Why do you want to cancel?")
    return missing(f"Could you tell me why you want to cancel? The reason must be {quoted}.")


def extract_text(text: str, context: SlotContext) -> SlotResult:
    stripped = text.strip()
    if not stripped:
        return missing("Could you describe it in a few words?")
    return filled(stripped)
