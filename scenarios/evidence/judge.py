"""The embedded evidence judge: deterministic, explains every verdict.

``judge(claim, evidence, order_facts, params, history)`` is a pure function over plain dicts, so
it is tested and benchmarked without a database. The rules it applies (docs/model-capability.md
lists them) come from the SOPs damaged-item, wrong-item and package-not-received:

- the order must have reached the customer (damaged, wrong item) or have shipped (not received);
- the claim must be inside the window (from delivery; from the ETA for a parcel never delivered, the
  ETA given with the claim or else the last one the carrier's tracking events gave);
- every evidence kind the SOP requires must be there, photos at least ``min_photos``;
- photos and videos must have been taken after delivery (one taken before is a human's call);
- logistics must be consistent with the claim: a parcel the carrier reports delivered, reported
  not received, is a dispute for a human; a parcel still in transit before ETA + wait days is
  too early to claim;
- a customer at their claims limit for 90 days, or a claim above the auto-refund cap, goes to a
  human even with sufficient evidence.
Anything the judge cannot establish (no delivery time, a photo without a capture time) is a
human's call, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

SUFFICIENT, INSUFFICIENT, NEEDS_HUMAN = "sufficient", "insufficient", "needs_human"
SOP_OF_CLAIM = {"damaged": "damaged-item", "wrong_item": "wrong-item", "not_received": "package-not-received"}
DELIVERED_STATUSES = {"delivered", "return requested", "exchange requested"}
SHIPPED_STATUSES = {"processed", "shipped", *DELIVERED_STATUSES}
CARRIER_FAILED = {"lost", "returned_to_sender", "delivery_failed", "damaged_in_transit"}
JUDGE_NAME = "embedded-v1"
# The checklist item of a not-received claim that says whether the carrier's ETA has passed by the
# region's wait; failed, the claim is too early and the flow tells the customer until when to wait.
WAIT_AFTER_ETA = "wait_after_eta"


@dataclass
class Judgment:
    verdict: str
    confidence: float
    rationale: str
    missing: list[str] = field(default_factory=list)
    checklist: list[dict] = field(default_factory=list)
    judge: str = JUDGE_NAME


def parse_time(value) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def as_days(value, default: int) -> timedelta:
    if isinstance(value, timedelta):
        return value
    try:
        return timedelta(days=float(value))
    except (TypeError, ValueError):
        return timedelta(days=default)


class _Checklist:
    def __init__(self):
        self.items: list[dict] = []
        self.missing: list[str] = []
        self.insufficient: list[str] = []
        self.human: list[str] = []

    def check(
        self,
        item: str,
        met: bool | None,
        *,
        fail: str = "",
        unknown: str = "",
        missing: str = "",
        code: str = "",
        **facts,
    ):
        """Record one checklist item; `fail` explains a failure that makes the evidence insufficient,
        `unknown` (met is None) or `human` reasons send the case to a person. `code` names an item a
        flow decides on (the words of `item` and `fail` are for people and may change), with its
        `facts` (e.g. the date a wait ends)."""
        self.items.append({"item": item, "met": met, **({"code": code, **facts} if code else {})})
        if met is False and fail:
            self.insufficient.append(fail)
            if missing:
                self.missing.append(missing)
        if met is None and unknown:
            self.human.append(unknown)


def _events(evidence: list[dict]) -> list[tuple[datetime | None, str]]:
    events = [
        (parse_time(e.get("at")), str(e.get("event", "")).lower())
        for e in evidence
        if e.get("kind") == "logistics_event"
    ]
    return sorted(events, key=lambda ev: ev[0] or datetime.min.replace(tzinfo=UTC))


def _carrier_eta(evidence: list[dict]) -> datetime | None:
    """The expected delivery the carrier gave last: tracking events carry an `eta` that each scan may
    move (the marketplace itself records no delivery date)."""
    dated = [
        (parse_time(e.get("at")) or datetime.min.replace(tzinfo=UTC), parse_time(e.get("eta")))
        for e in evidence
        if e.get("kind") == "logistics_event" and e.get("eta")
    ]
    dated = [(at, eta) for at, eta in dated if eta is not None]
    return max(dated, key=lambda pair: pair[0])[1] if dated else None


def judge(claim: dict, evidence: list[dict], order_facts: dict, params: dict, history: dict) -> Judgment:
    claim_type = claim.get("type", "")
    if claim_type not in SOP_OF_CLAIM:
        return Judgment(
            NEEDS_HUMAN, 0.5, f"No SOP rules for a claim of type {claim_type!r}: a human decides."
        )
    now = parse_time(claim.get("reported_at")) or datetime.now(UTC)
    events = _events(evidence)
    delivered_events = [at for at, name in events if name == "delivered"]
    delivered_at = parse_time(order_facts.get("delivered_at") or claim.get("delivered_at")) or (
        delivered_events[-1] if delivered_events else None
    )
    status = str(order_facts.get("status", "")).lower()
    photos = [e for e in evidence if e.get("kind") == "photo"]
    videos = [e for e in evidence if e.get("kind") == "video"]
    texts = [e for e in evidence if e.get("kind") == "text" and str(e.get("text", "")).strip()]
    required = set(params.get("evidence_required") or [])
    if params.get("photo_required"):
        required.add("photo")
    window = as_days(params.get("claim_window_days"), 30)
    c = _Checklist()

    if claim_type == "not_received":
        eta = parse_time(order_facts.get("eta") or claim.get("eta")) or _carrier_eta(evidence)
        _not_received(c, status, events, eta, params, now, window)
    else:
        delivered = status in DELIVERED_STATUSES or delivered_at is not None
        c.check(
            "order delivered",
            delivered,
            fail="the order has not been delivered yet, so nothing can have arrived damaged or wrong",
        )
        if delivered:
            within = None if delivered_at is None else now - delivered_at <= window
            c.check(
                f"claim within {window.days} days of delivery",
                within,
                fail=f"the claim comes more than {window.days} days after delivery",
                unknown="the delivery time is unknown, so the claim window cannot be checked",
            )
            _captured_after_delivery(c, photos + videos, delivered_at)
        carrier_failed = [name for _, name in events if name in CARRIER_FAILED - {"damaged_in_transit"}]
        c.check(
            "logistics consistent with the claim",
            not carrier_failed,
            fail=f"the carrier reports the parcel {(carrier_failed or [''])[-1]}, not delivered",
        )

    if "photo" in required:
        needed = max(1, int(params.get("min_photos") or 1))
        c.check(
            f"at least {needed} photo{'s' if needed > 1 else ''}",
            len(photos) >= needed,
            fail=f"{needed - len(photos)} more photo(s) needed",
            missing="photo",
        )
    if "video" in required:
        c.check("a video", bool(videos), fail="a video is required", missing="video")
    if "logistics_event" in required:
        c.check(
            "logistics events", bool(events), fail="no logistics event to check", missing="logistics_event"
        )
    if "text" in required:
        described = bool(texts) or bool(str(claim.get("description", "")).strip())
        c.check("a description", described, fail="a description of the problem is required", missing="text")

    limit = params.get("max_claims_per_90_days")
    if limit is not None:
        prior = int(history.get("claims_last_90_days", 0))
        c.check(f"fewer than {limit} claims in 90 days", prior < int(limit))
        if prior >= int(limit):
            c.human.append(f"the customer has already made {prior} claims in 90 days (limit {limit})")
    cap, amount = params.get("auto_refund_cap"), claim.get("amount", order_facts.get("amount"))
    if cap is not None and amount is not None:
        within_cap = Decimal(str(amount)) <= Decimal(str(cap))
        c.check(f"amount within the auto-refund cap of {cap}", within_cap)
        if not within_cap:
            c.human.append(f"the amount {amount} is above the auto-refund cap {cap}")
    return _verdict(c)


def _captured_after_delivery(c: _Checklist, media: list[dict], delivered_at: datetime | None) -> None:
    if not media:
        return
    times = [parse_time(m.get("taken_at")) for m in media]
    if any(t is None for t in times) or delivered_at is None:
        c.check("photos taken after delivery", None, unknown="a photo or video has no capture time to check")
        return
    after = all(t >= delivered_at for t in times)
    c.check("photos taken after delivery", after)
    if not after:
        c.human.append("a photo or video was taken before the delivery")


def _not_received(c, status, events, eta, params, now, window) -> None:
    shipped = status in SHIPPED_STATUSES or bool(events)
    c.check("order shipped", shipped, fail=f"the order is {status or 'not shipped'}: nothing was sent yet")
    last = events[-1][1] if events else ""
    if last == "delivered":
        c.check("logistics consistent with the claim", False)
        c.human.append("the carrier reports the parcel delivered: a dispute a person must investigate")
        return
    c.check("logistics consistent with the claim", True)
    if last in CARRIER_FAILED:
        return  # the carrier itself says it failed: no need to wait
    wait = as_days(params.get("wait_days_after_eta"), 0)
    if eta is None:
        c.check(
            f"{wait.days} days past the ETA",
            None,
            unknown="the ETA is unknown, so the wait cannot be checked",
        )
        return
    until = (eta + wait).date().isoformat()
    c.check(
        f"{wait.days} days past the ETA",
        now >= eta + wait,
        fail=f"too early: the parcel may still arrive (wait until {until})",
        code=WAIT_AFTER_ETA,
        until=until,
    )
    c.check(
        f"claim within {window.days} days of the ETA",
        now - eta <= window,
        fail=f"the claim comes more than {window.days} days after the expected delivery",
    )


def _verdict(c: _Checklist) -> Judgment:
    if c.insufficient:
        rationale = "Insufficient: " + "; ".join(c.insufficient) + "."
        return Judgment(INSUFFICIENT, 0.9, rationale, sorted(set(c.missing)), c.items)
    if c.human:
        return Judgment(NEEDS_HUMAN, 0.6, "A person must decide: " + "; ".join(c.human) + ".", [], c.items)
    met = ", ".join(item["item"] for item in c.items)
    return Judgment(SUFFICIENT, 0.95, f"Sufficient: {met}.", [], c.items)
