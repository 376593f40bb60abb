"""The LLM evidence judge: same contract as the embedded one; any LLM failure → needs_human."""

from __future__ import annotations

import json

from scenarios.evidence.judge import NEEDS_HUMAN, Judgment
from scenarios.llm.client import complete_json
from scenarios.models import ModelConfiguration

SCHEMA = {
    "type": "object",
    "properties": {
        "verdict": {"enum": ["sufficient", "insufficient", "needs_human"]},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "rationale": {"type": "string", "maxLength": 2000},
        "missing": {"type": "array", "items": {"type": "string"}, "maxItems": 10},
        "checklist": {
            "type": "array",
            "maxItems": 20,
            "items": {
                "type": "object",
                "properties": {"item": {"type": "string"}, "met": {"type": ["boolean", "null"]}},
                "required": ["item", "met"],
            },
        },
    },
    "required": ["verdict", "confidence", "rationale"],
}
INSTRUCTIONS = (
    "You check whether a customer's aftersales claim has the evidence the store's SOP requires. "
    "Apply only the SOP parameters given. Verdicts: sufficient (every requirement met), insufficient "
    "(something required is missing or the claim is outside the rules), needs_human (a dispute, "
    "suspicion, a limit or cap exceeded, or facts you cannot establish). Answer with a JSON object "
    '{"verdict", "confidence", "rationale", "missing": [evidence kinds], "checklist": [{"item", "met"}]}.'
)


def _content(claim, evidence, order_facts, params, history) -> list[dict]:
    facts = {"claim": claim, "order": order_facts, "sop_parameters": params, "history": history}
    parts = [{"type": "text", "text": json.dumps({**facts, "evidence": evidence}, default=str)[:12000]}]
    # Images are passed by URL for a vision model to look at; at most a few, tokens are capped.
    for item in evidence[:20]:
        if item.get("kind") == "photo" and str(item.get("url", "")).startswith("https://"):
            parts.append({"type": "image_url", "image_url": {"url": item["url"]}})
    return parts[:6]


def judge_llm(
    claim, evidence, order_facts, params, history, *, configuration: ModelConfiguration | None
) -> Judgment:
    result = complete_json(
        configuration=configuration,
        purpose="judge_evidence",
        messages=[
            {"role": "system", "content": INSTRUCTIONS},
            {"role": "user", "content": _content(claim, evidence, order_facts, params, history)},
        ],
        schema=SCHEMA,
        schema_name="evidence_judgment",
    )
    name = f"llm:{configuration.name}" if configuration else "llm"
    if not result.ok:
        return Judgment(
            NEEDS_HUMAN, 0.0, f"The LLM judge failed ({result.outcome}); a person must decide.", [], [], name
        )
    data = result.data
    return Judgment(
        data["verdict"],
        round(float(data["confidence"]), 4),
        data["rationale"],
        [str(m) for m in data.get("missing", [])],
        [{"item": str(c["item"]), "met": c["met"]} for c in data.get("checklist", [])],
        name,
    )
