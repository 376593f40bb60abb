"""Reply and argument templates: Django's template language on a private engine that renders plain
text (no autoescape: the chatbot is not HTML), loads no files and sees only plain data."""

from __future__ import annotations

import re
from functools import lru_cache

from django.template import Context, Engine, TemplateSyntaxError

_ENGINE = Engine(autoescape=False, debug=False, loaders=[], string_if_invalid="")
# A slot read in a template: `{{ slots.order_id }}`, `{% if slots.reason %}`, `slots.items|join:", "`.
_SLOT_READ = re.compile(r"\bslots\.([A-Za-z_][A-Za-z0-9_]*)")
_TAG = re.compile(r"{{.*?}}|{%.*?%}", re.DOTALL)
_TAG_NAME = re.compile(r"{%\s*(\w+)")
# Logic and formatting only: no tag that reads files, loads libraries, or dumps the context.
ALLOWED_TAGS = frozenset(
    [
        "if",
        "elif",
        "else",
        "endif",
        "for",
        "empty",
        "endfor",
        "with",
        "endwith",
        "firstof",
        "cycle",
        "comment",
        "endcomment",
        "spaceless",
        "endspaceless",
        "filter",
        "endfilter",
    ]
)
MAX_LENGTH = 4000


class TemplateError(ValueError):
    pass


@lru_cache(maxsize=2048)
def compile_template(text: str):
    if len(text) > MAX_LENGTH:
        raise TemplateError(f"longer than {MAX_LENGTH} characters")
    refused = sorted(set(_TAG_NAME.findall(text)) - ALLOWED_TAGS)
    if refused:
        raise TemplateError(f"tag {refused[0]!r} is not allowed in a flow template")
    try:
        return _ENGINE.from_string(text)
    except TemplateSyntaxError as error:
        raise TemplateError(str(error)) from error


def render(text: str, context: dict) -> str:
    return compile_template(text).render(Context(context, autoescape=False)).strip()


def is_template(text: str) -> bool:
    return "{{" in text or "{%" in text


def slots_read(text: str) -> set[str]:
    return {name for tag in _TAG.findall(text) for name in _SLOT_READ.findall(tag)}
