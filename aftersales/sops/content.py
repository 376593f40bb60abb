"""The content of an SOP version as plain data, the resolution base + regional variant, and hashes.

Everything that compares or fingerprints SOP content (review binding, diffs, the API's ETag) goes
through here, so "the same content" means one thing everywhere.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field


@dataclass
class VersionContent:
    """Base clauses (ordered) and parameters, and each region's overrides."""

    clauses: list[dict] = field(default_factory=list)  # [{id, title, text}]
    parameters: dict[str, dict] = field(default_factory=dict)  # name → {value, type, unit, ...}
    overrides: dict[str, dict] = field(default_factory=dict)  # region → {note, clauses, parameters}

    def as_dict(self) -> dict:
        return {"clauses": self.clauses, "parameters": self.parameters, "overrides": self.overrides}


def version_content(version) -> VersionContent:
    """Reads through ``.all()`` so that a caller's prefetch_related (API lists) is used."""
    content = VersionContent()
    for clause in sorted(version.clauses.all(), key=lambda c: (c.position, c.clause_id)):
        content.clauses.append({"id": clause.clause_id, "title": clause.title, "text": clause.text})
    for parameter in sorted(version.parameters.all(), key=lambda p: p.name):
        content.parameters[parameter.name] = {
            "value": parameter.value,
            "type": parameter.type,
            "unit": parameter.unit,
            "min": None if parameter.min_value is None else str(parameter.min_value),
            "max": None if parameter.max_value is None else str(parameter.max_value),
            "choices": list(parameter.choices or []),
            "description": parameter.description,
        }
    for override in sorted(version.regional_overrides.all(), key=lambda o: o.region_id):
        content.overrides[override.region_id] = {
            "note": override.note,
            "clauses": {
                c.clause_id: {"title": c.title, "text": c.text}
                for c in sorted(override.clauses.all(), key=lambda c: c.clause_id)
            },
            "parameters": {
                p.name: {"value": p.value, "unit": p.unit}
                for p in sorted(override.parameters.all(), key=lambda p: p.name)
            },
        }
    return content


def resolve(content: VersionContent, region_code: str | None) -> dict:
    """Base + the region's overrides (``None``: the base alone). Overridden items are marked."""
    override = content.overrides.get(region_code or "", {"clauses": {}, "parameters": {}})
    clauses = []
    for clause in content.clauses:
        regional = override["clauses"].get(clause["id"])
        if regional is None:
            clauses.append({**clause, "overridden": False})
        else:
            title = regional["title"] or clause["title"]
            clauses.append({"id": clause["id"], "title": title, "text": regional["text"], "overridden": True})
    parameters = {}
    for name, base in content.parameters.items():
        regional = override["parameters"].get(name)
        if regional is None:
            parameters[name] = {"value": base["value"], "type": base["type"], "unit": base["unit"]}
            parameters[name]["overridden"] = False
        else:
            unit = regional["unit"] or base["unit"]
            parameters[name] = {"value": regional["value"], "type": base["type"], "unit": unit}
            parameters[name]["overridden"] = True
    return {"clauses": clauses, "parameters": parameters}


def content_hash(data) -> str:
    """sha256 of canonical JSON (sorted keys, no whitespace): stable across processes and databases."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def resolved_hash(resolved: dict) -> str:
    """The hash of what a region sees (the marks of what is overridden are not content)."""
    return content_hash(
        {
            "clauses": [{k: c[k] for k in ("id", "title", "text")} for c in resolved["clauses"]],
            "parameters": {
                name: {k: p[k] for k in ("value", "type", "unit")}
                for name, p in resolved["parameters"].items()
            },
        }
    )


def changed_regions(content: VersionContent, previous: VersionContent | None) -> list[str]:
    """Regions whose variant this content changes against ``previous`` (its predecessor).

    Base changes are everyone's and are reviewed by the non-regional requirements; a regional
    owner reviews what their own variant changes.
    """
    if previous is None:
        return sorted(content.overrides)
    regions = set(content.overrides) | set(previous.overrides)
    return sorted(r for r in regions if content.overrides.get(r) != previous.overrides.get(r))
