"""Clause-by-clause and parameter-by-parameter diff of two resolved SOPs (two versions, or two
regions), with word-level highlighting for the side-by-side admin page."""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from aftersales.sops.content import resolve, version_content

TOKEN = re.compile(r"(\s+)")


@dataclass(frozen=True)
class DiffRow:
    key: str
    status: str  # added | removed | changed | same
    left: str
    right: str

    @property
    def highlighted(self) -> tuple[SafeString, SafeString]:
        """Both sides as HTML: removed words in <del> on the left, added words in <ins> on the right."""
        if self.status == "same":
            return mark_safe(escape(self.left)), mark_safe(escape(self.right))  # noqa: S308 — escaped
        left_words, right_words = TOKEN.split(self.left), TOKEN.split(self.right)
        left_html, right_html = [], []
        matcher = difflib.SequenceMatcher(a=left_words, b=right_words, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            left_part, right_part = escape("".join(left_words[i1:i2])), escape("".join(right_words[j1:j2]))
            if tag == "equal":
                left_html.append(left_part)
                right_html.append(right_part)
                continue
            if left_part:
                left_html.append(f"<del>{left_part}</del>")
            if right_part:
                right_html.append(f"<ins>{right_part}</ins>")
        return mark_safe("".join(left_html)), mark_safe("".join(right_html))  # noqa: S308 — parts escaped


@dataclass
class SopDiff:
    left_label: str
    right_label: str
    clauses: list[DiffRow] = field(default_factory=list)
    parameters: list[DiffRow] = field(default_factory=list)

    @property
    def changes(self) -> list[DiffRow]:
        return [row for row in self.clauses + self.parameters if row.status != "same"]

    def as_dict(self) -> dict:
        def rows(items):
            return [{"key": r.key, "status": r.status, "left": r.left, "right": r.right} for r in items]

        return {
            "left": self.left_label,
            "right": self.right_label,
            "clauses": rows(self.clauses),
            "parameters": rows(self.parameters),
        }


def _row(key: str, left: str | None, right: str | None) -> DiffRow:
    if left is None:
        return DiffRow(key, "added", "", right or "")
    if right is None:
        return DiffRow(key, "removed", left, "")
    return DiffRow(key, "same" if left == right else "changed", left, right)


def _parameter_text(parameter: dict) -> str:
    value = parameter["value"]
    shown = (
        ", ".join(value)
        if isinstance(value, list)
        else json.dumps(value)
        if isinstance(value, bool)
        else value
    )
    return f"{shown} {parameter['unit']}".strip()


def diff_resolved(left: dict, right: dict, *, left_label: str, right_label: str) -> SopDiff:
    """Diff of two resolved SOPs (see aftersales.sops.content.resolve). Clauses keep the left
    order, with clauses only on the right after them; parameters are by name."""
    diff = SopDiff(left_label=left_label, right_label=right_label)
    left_clauses = {c["id"]: f"{c['title']}\n{c['text']}" for c in left["clauses"]}
    right_clauses = {c["id"]: f"{c['title']}\n{c['text']}" for c in right["clauses"]}
    for clause_id in [*left_clauses, *(c for c in right_clauses if c not in left_clauses)]:
        diff.clauses.append(_row(clause_id, left_clauses.get(clause_id), right_clauses.get(clause_id)))
    left_parameters = {n: _parameter_text(p) for n, p in left["parameters"].items()}
    right_parameters = {n: _parameter_text(p) for n, p in right["parameters"].items()}
    for name in sorted(set(left_parameters) | set(right_parameters)):
        diff.parameters.append(_row(name, left_parameters.get(name), right_parameters.get(name)))
    return diff


def diff_versions(left_version, right_version, region_code: str | None = None) -> SopDiff:
    """Two versions as one region sees them (``None``: the base)."""
    where = f" ({region_code})" if region_code else " (base)"
    return diff_resolved(
        resolve(version_content(left_version), region_code),
        resolve(version_content(right_version), region_code),
        left_label=f"v{left_version.number}{where}",
        right_label=f"v{right_version.number}{where}",
    )


def diff_regions(version, left_region: str, right_region: str) -> SopDiff:
    """One version as two regions see it."""
    content = version_content(version)
    return diff_resolved(
        resolve(content, left_region),
        resolve(content, right_region),
        left_label=f"v{version.number} {left_region}",
        right_label=f"v{version.number} {right_region}",
    )
