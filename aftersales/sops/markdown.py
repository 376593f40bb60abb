"""A resolved SOP as Markdown (admin export, and what an LLM prompt can quote verbatim)."""

from __future__ import annotations

import json


def _value(parameter: dict) -> str:
    value = parameter["value"]
    if isinstance(value, list):
        return ", ".join(value) or "(none)"
    if isinstance(value, bool):
        return json.dumps(value)
    return str(value)


def sop_markdown(*, sop, version, region_code: str | None, resolved: dict, effective_at=None) -> str:
    where = region_code or "base (no regional variant)"
    lines = [
        f"# {sop.title}",
        "",
        f"- SOP: `{sop.key}` · version {version.number} ({version.status}) · region: {where}",
        f"- Owner: {sop.owning_team}",
    ]
    if effective_at is not None:
        lines.append(f"- Effective: {effective_at.isoformat()}")
    lines += [f"- Content hash: `{version.content_hash}`", "", "## Clauses", ""]
    for clause in resolved["clauses"]:
        marker = f" _({region_code} variant)_" if clause.get("overridden") else ""
        lines += [f"### {clause['id']} — {clause['title']}{marker}", "", clause["text"].strip(), ""]
    lines += ["## Parameters", "", "| parameter | value | unit | type |", "|---|---|---|---|"]
    for name, parameter in resolved["parameters"].items():
        marker = " *" if parameter.get("overridden") else ""
        lines.append(
            f"| `{name}`{marker} | {_value(parameter)} | {parameter['unit']} | {parameter['type']} |"
        )
    if any(p.get("overridden") for p in resolved["parameters"].values()):
        lines += ["", f"\\* set by the {region_code} variant"]
    return "\n".join(lines) + "\n"
