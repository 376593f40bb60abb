"""Identification providers behind one contract: text + region → IdentificationResult.

`embedded` is the scikit-learn model; `llm` asks the configured LLM with the scenarios'
descriptions and a few examples, and falls back to the embedded model (or `clarify` when none is
trained) on any LLM failure."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from config.errors import NotFound
from scenarios.llm.client import complete_json
from scenarios.selectors import (
    default_model_configuration,
    embedded_identifier,
    examples_for_prompt,
    scenarios_for_region,
)

CLARIFY_BELOW = 0.55


@dataclass
class IdentificationResult:
    scenario: str | None
    confidence: float
    decision: str
    candidates: list[dict] = field(default_factory=list)
    model: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def identify_embedded(text: str, region_code: str) -> IdentificationResult:
    model, identifier = embedded_identifier()
    prediction = identifier.predict([text])[0]
    offered = set(scenarios_for_region(region_code).values_list("key", flat=True))
    candidates = [{"scenario": k, "confidence": c} for k, c in prediction.candidates if k in offered]
    if prediction.label is None or prediction.label not in offered:
        # A scenario this region does not offer is, for this region, out of scope.
        return IdentificationResult(None, prediction.confidence, "out_of_scope", candidates, model.name)
    return IdentificationResult(
        prediction.label, prediction.confidence, prediction.decision, candidates, model.name
    )


LLM_SCHEMA = {
    "type": "object",
    "properties": {
        "scenario": {"type": ["string", "null"]},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "candidates": {
            "type": "array",
            "maxItems": 5,
            "items": {
                "type": "object",
                "properties": {
                    "scenario": {"type": "string"},
                    "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                },
                "required": ["scenario", "confidence"],
            },
        },
    },
    "required": ["scenario", "confidence"],
}


def _llm_messages(text: str, scenarios) -> list[dict]:
    examples = examples_for_prompt([s.key for s in scenarios])
    catalogue = "\n".join(
        f"- {s.key}: {s.description.strip()}"
        + (f" Examples: {'; '.join(repr(e) for e in examples[s.key])}" if examples.get(s.key) else "")
        for s in scenarios
    )
    system = (
        "You route customer-service messages of an online marketplace to one scenario.\n"
        f"Scenarios:\n{catalogue}\n"
        'Answer with a JSON object {"scenario": key or null, "confidence": 0..1, "candidates": '
        '[{"scenario", "confidence"}]}. Use null when the message fits none of the scenarios '
        "(greetings, product questions, account matters, anything else)."
    )
    # The customer's text goes in its own message, never into the instructions.
    return [{"role": "system", "content": system}, {"role": "user", "content": text[:2000]}]


def _fallback(text: str, region_code: str, reason: str) -> IdentificationResult:
    try:
        result = identify_embedded(text, region_code)
    except NotFound:
        return IdentificationResult(None, 0.0, "clarify", [], f"fallback:{reason}")
    result.model = f"{result.model} (fallback: {reason})"
    return result


def identify_llm(text: str, region_code: str) -> IdentificationResult:
    configuration = default_model_configuration()
    scenarios = list(scenarios_for_region(region_code))
    result = complete_json(
        configuration=configuration,
        purpose="identify",
        messages=_llm_messages(text, scenarios),
        schema=LLM_SCHEMA,
        schema_name="identification",
    )
    if not result.ok:
        return _fallback(text, region_code, result.outcome)
    offered = {s.key for s in scenarios}
    key, confidence = result.data["scenario"], round(float(result.data["confidence"]), 4)
    if key is not None and key not in offered:
        # An invented key is a malformed answer for our purposes: use the embedded model.
        return _fallback(text, region_code, "malformed_output")
    candidates = [
        {"scenario": c["scenario"], "confidence": round(float(c["confidence"]), 4)}
        for c in result.data.get("candidates", [])
        if c["scenario"] in offered
    ]
    model = f"llm:{configuration.name}"
    if key is None:
        return IdentificationResult(None, confidence, "out_of_scope", candidates, model)
    decision = "matched" if confidence >= CLARIFY_BELOW else "clarify"
    return IdentificationResult(key, confidence, decision, candidates, model)


PROVIDERS = {"embedded": identify_embedded, "llm": identify_llm}


def identify(text: str, region_code: str, provider: str = "embedded") -> IdentificationResult:
    return PROVIDERS[provider](text, region_code)
