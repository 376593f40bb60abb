"""Metrics of an evidence judge on the labelled evidence set."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from scenarios.evidence.judge import NEEDS_HUMAN, SUFFICIENT, judge

CASES = Path(__file__).resolve().parent.parent / "data" / "evidence" / "cases.json"
VERDICTS = ["sufficient", "insufficient", "needs_human"]


def load_cases(path: str | Path = CASES) -> list[dict]:
    return json.loads(Path(path).read_text())


def run_case(case: dict, judge_fn=judge):
    return judge_fn(case["claim"], case["evidence"], case["order_facts"], case["params"], case["history"])


def evaluate_judge(cases: list[dict], judge_fn=judge) -> dict:
    gold = [c["gold"] for c in cases]
    predicted = [run_case(c, judge_fn).verdict for c in cases]
    pairs = list(zip(gold, predicted, strict=True))
    f1 = {}
    for v in VERDICTS:
        tp = sum(1 for g, p in pairs if g == v and p == v)
        fp = sum(1 for g, p in pairs if g != v and p == v)
        fn = sum(1 for g, p in pairs if g == v and p != v)
        f1[v] = round(2 * tp / (2 * tp + fp + fn), 4) if tp else 0.0
    by_type = {}
    for claim_type in sorted({c["claim"]["type"] for c in cases}):
        rows = [(g, p) for c, (g, p) in zip(cases, pairs, strict=True) if c["claim"]["type"] == claim_type]
        by_type[claim_type] = round(sum(g == p for g, p in rows) / len(rows), 4)
    return {
        "n": len(cases),
        "accuracy": round(sum(g == p for g, p in pairs) / len(pairs), 4),
        "macro_f1": round(sum(f1.values()) / len(f1), 4),
        "f1": f1,
        "accuracy_by_claim_type": by_type,
        # The costly error: paying out automatically when a person or more evidence was needed.
        "false_sufficient": sum(1 for g, p in pairs if p == SUFFICIENT and g != SUFFICIENT),
        "escalated": sum(1 for p in predicted if p == NEEDS_HUMAN),
        "confusion": {g: dict(Counter(p for gg, p in pairs if gg == g)) for g in VERDICTS},
        "errors": [c["id"] for c, (g, p) in zip(cases, pairs, strict=True) if g != p],
    }
