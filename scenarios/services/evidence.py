"""Evidence judgments: gather the order facts, the region's SOP parameters and the customer's
claim history, ask a judge, record the judgment."""

from __future__ import annotations

import time
from datetime import timedelta

from django.db.models import Sum
from django.utils import timezone

from aftersales.models import Order
from aftersales.selectors.sops import sop_parameters
from config.errors import NotFound
from scenarios.evidence.judge import NEEDS_HUMAN, SOP_OF_CLAIM, Judgment, judge
from scenarios.evidence.llm_judge import judge_llm
from scenarios.models import EvidenceJudgment
from scenarios.selectors import default_model_configuration


def _order_facts(order: Order, claim: dict) -> dict:
    total = order.items.aggregate(total=Sum("price"))["total"]
    return {
        "order_id": order.order_id,
        "status": order.status,
        # The reference data has no delivery timestamps: the caller or a logistics event gives it.
        "delivered_at": claim.get("delivered_at"),
        "eta": claim.get("eta"),
        "amount": str(total) if total is not None else None,
    }


def _claim_history(order: Order) -> dict:
    since = timezone.now() - timedelta(days=90)
    order_ids = Order.objects.filter(customer_id=order.customer_id).values_list("order_id", flat=True)
    claimed = (
        EvidenceJudgment.objects.filter(order_id__in=list(order_ids), created__gte=since)
        .exclude(order_id=order.order_id)
        .values("order_id")
        .distinct()
        .count()
    )
    return {"claims_last_90_days": claimed}


def _find_order(order_id: str, region_code: str, customer_id: str | None) -> Order:
    normalised = order_id.strip()
    if not normalised.startswith("#"):
        normalised = f"#{normalised}"
    order = Order.objects.filter(order_id=normalised).select_related("customer").first()
    if customer_id is not None:
        # A conversation's customer: their own order in any region, as the gateway serves it to them.
        if order is None or order.customer_id != customer_id:
            raise NotFound(f"No order {order_id} of this customer.", code="order_not_found")
        return order
    # An order of another region is reported as unknown: a client scoped to US learns nothing of ID.
    if order is None or (order.region_id and order.region_id != region_code):
        raise NotFound(f"No order {order_id} in region {region_code}.", code="order_not_found")
    return order


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def evidence_judgment_create(
    *,
    actor,
    region,
    scenario_key: str,
    order_id: str,
    claim: dict,
    evidence: list[dict],
    judge_name: str = "embedded",
    started: float | None = None,
    customer_id: str | None = None,
) -> EvidenceJudgment:
    """Judge and record. Not atomic on purpose: the LLM judge may take its whole timeout and must
    not hold a transaction (or a lock) meanwhile; the single INSERT at the end is atomic itself.

    ``customer_id`` None is an API client's request: the order must be in ``region``. A conversation
    passes its verified customer ("" when it has none): only that customer's orders are found, in any
    region, like the gateway serves them; the SOP applied is still ``region``'s."""
    started = started if started is not None else time.perf_counter()
    claim = {k: _iso(v) for k, v in claim.items()}
    claim["amount"] = str(claim["amount"]) if claim.get("amount") is not None else None
    if claim["amount"] is None:
        del claim["amount"]
    order = _find_order(order_id, region.code, customer_id)
    facts = _order_facts(order, claim)
    sop_key = SOP_OF_CLAIM.get(claim.get("type", ""))
    try:
        params = sop_parameters(sop_key=sop_key, region_code=region.code) if sop_key else {}
    except NotFound:
        params = None
    if params is None:
        result = Judgment(NEEDS_HUMAN, 0.0, f"No published SOP {sop_key} in {region.code}: a person decides.")
    elif judge_name == "llm":
        result = judge_llm(
            claim, evidence, facts, params, _claim_history(order), configuration=default_model_configuration()
        )
    else:
        result = judge(claim, evidence, facts, params, _claim_history(order))
    judgment = EvidenceJudgment(
        region=region,
        scenario_key=scenario_key or (sop_key or ""),
        order_id=order.order_id,
        claim=claim,
        evidence=evidence,
        verdict=result.verdict,
        confidence=result.confidence,
        rationale=result.rationale,
        missing=result.missing,
        checklist=result.checklist,
        judge=result.judge,
        api_client=actor if getattr(actor, "_meta", None) and actor._meta.model_name == "apiclient" else None,
        latency_ms=round((time.perf_counter() - started) * 1000),
    )
    judgment.full_clean()
    judgment.save()
    return judgment
