# ruff: noqa: E501  (a table of situations: one per line reads better than wrapped)
"""Builds scenarios/data/evidence/cases.json, the labelled evidence set (run once; the JSON is shipped).

Each situation below was written first as a customer situation with its gold verdict and the
SOP reason (the "why"), from the SOP rules listed in docs/model-capability.md — not from the
judge's code. Five variants per situation vary what must not change the verdict (dates, order,
amounts on the same side of the cap, photo count above the minimum, region profile where the
rule is the same). Some situations hinge on what the customer *says* (a description that turns
a damage claim into a change of mind); a rule-based judge is expected to miss those.
"""

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "scenarios" / "data" / "evidence" / "cases.json"

PARAMS = {
    ("damaged", "US"): {
        "claim_window_days": 30,
        "photo_required": True,
        "min_photos": 2,
        "evidence_required": ["photo", "text"],
        "auto_refund_cap": "200",
        "max_claims_per_90_days": 3,
    },
    ("damaged", "ID"): {
        "claim_window_days": 7,
        "photo_required": True,
        "min_photos": 1,
        "evidence_required": ["photo", "video"],
        "auto_refund_cap": "1500000",
        "max_claims_per_90_days": 2,
    },
    ("wrong_item", "US"): {
        "claim_window_days": 30,
        "photo_required": True,
        "min_photos": 1,
        "evidence_required": ["photo"],
        "auto_refund_cap": "200",
        "max_claims_per_90_days": 3,
    },
    ("not_received", "US"): {
        "claim_window_days": 30,
        "photo_required": False,
        "min_photos": 0,
        "evidence_required": ["logistics_event"],
        "auto_refund_cap": "200",
        "max_claims_per_90_days": 3,
        "wait_days_after_eta": 3,
        "reship_allowed": True,
    },
    ("not_received", "ID"): {
        "claim_window_days": 14,
        "photo_required": False,
        "min_photos": 0,
        "evidence_required": ["logistics_event", "text"],
        "auto_refund_cap": "1500000",
        "max_claims_per_90_days": 2,
        "wait_days_after_eta": 5,
        "reship_allowed": False,
    },
}
SMALL = {"US": (20, 180), "ID": (50000, 1400000)}
LARGE = {"US": (250, 900), "ID": (1600000, 5000000)}


def iso(moment):
    return moment.isoformat().replace("+00:00", "Z")


# (claim type, region, gold, why, spec) — spec keys: days (claim days after delivery or ETA),
# photos, photo_shift_hours (capture vs delivery), photo_time (False: no capture time), video,
# status, delivered_known, description, events, prior, large, eta_known
S = [
    (
        "damaged",
        "US",
        "sufficient",
        "Two photos taken after delivery and a description, 1-10 days after delivery, a first claim under the cap: everything the SOP asks.",
        {"days": (1, 10), "photos": (2, 4)},
    ),
    (
        "damaged",
        "US",
        "insufficient",
        "Only one photo where the US SOP asks for two.",
        {"days": (1, 10), "photos": (1, 1)},
    ),
    (
        "damaged",
        "US",
        "insufficient",
        "No photo at all: a damage claim must show the damage.",
        {"days": (1, 10), "photos": (0, 0)},
    ),
    (
        "damaged",
        "US",
        "insufficient",
        "Reported 35-80 days after delivery, past the 30-day claim window.",
        {"days": (35, 80), "photos": (2, 3)},
    ),
    (
        "damaged",
        "US",
        "needs_human",
        "The photos were taken before the parcel was delivered: they cannot show damage on arrival and may be reused; a person checks.",
        {"days": (2, 8), "photos": (2, 3), "photo_shift_hours": -48},
    ),
    (
        "damaged",
        "US",
        "needs_human",
        "Good evidence, but the customer has already made 3 claims in 90 days (limit 3): abuse check by a person.",
        {"days": (1, 10), "photos": (2, 3), "prior": 3},
    ),
    (
        "damaged",
        "US",
        "needs_human",
        "Good evidence, but the amount is above the $200 auto-refund cap: a person approves.",
        {"days": (1, 10), "photos": (2, 3), "large": True},
    ),
    (
        "damaged",
        "US",
        "insufficient",
        "The order is still pending: it was never delivered, so it cannot have arrived damaged.",
        {"days": (1, 5), "photos": (2, 2), "status": "pending", "delivered_known": False, "events": ["none"]},
    ),
    (
        "damaged",
        "US",
        "needs_human",
        "The order is marked delivered but nobody knows when: the claim window cannot be checked.",
        {"days": (1, 10), "photos": (2, 3), "delivered_known": False, "events": ["none"]},
    ),
    (
        "damaged",
        "US",
        "needs_human",
        "The photos carry no capture time, so nobody can tell they were taken after delivery.",
        {"days": (1, 10), "photos": (2, 3), "photo_time": False},
    ),
    (
        "damaged",
        "US",
        "insufficient",
        "The customer writes the item is fine and they just dislike the colour: not damage, a return.",
        {
            "days": (1, 10),
            "photos": (2, 2),
            "description": "it works fine and isn't broken, I just don't like the colour so I'm calling it damaged",
        },
    ),
    (
        "damaged",
        "US",
        "insufficient",
        "The carrier returned the parcel to the sender: the customer never received the item that is claimed damaged.",
        {
            "days": (1, 10),
            "photos": (2, 2),
            "status": "processed",
            "delivered_known": False,
            "events": ["in_transit", "returned_to_sender"],
        },
    ),
    (
        "damaged",
        "ID",
        "sufficient",
        "Photo and video after delivery, within 7 days: what the Indonesian SOP asks.",
        {"days": (1, 6), "photos": (1, 3), "video": True},
    ),
    (
        "damaged",
        "ID",
        "insufficient",
        "The Indonesian SOP requires an unboxing video; only photos were sent.",
        {"days": (1, 6), "photos": (1, 3)},
    ),
    (
        "damaged",
        "US",
        "sufficient",
        "Reported 28-30 days after delivery: still inside the 30-day window, evidence complete.",
        {"days": (28, 29.9), "photos": (2, 2)},
    ),
    (
        "damaged",
        "US",
        "insufficient",
        "Photos but no description of the damage, which the US SOP requires.",
        {"days": (1, 10), "photos": (2, 3), "description": ""},
    ),
    (
        "damaged",
        "US",
        "sufficient",
        "The carrier itself logged damage in transit and then delivered; photos and description complete.",
        {"days": (1, 10), "photos": (2, 3), "events": ["in_transit", "damaged_in_transit", "delivered"]},
    ),
    (
        "damaged",
        "ID",
        "needs_human",
        "Photo and video complete, but the customer is at the Indonesian limit of 2 claims in 90 days.",
        {"days": (1, 6), "photos": (1, 2), "video": True, "prior": 2},
    ),
    (
        "wrong_item",
        "US",
        "sufficient",
        "A photo of the received item after delivery, within the window.",
        {"days": (1, 20), "photos": (1, 3), "description": "I ordered the black one and got a white one"},
    ),
    (
        "wrong_item",
        "US",
        "insufficient",
        "No photo of what arrived.",
        {"days": (1, 20), "photos": (0, 0), "description": "wrong item in the box"},
    ),
    (
        "wrong_item",
        "US",
        "insufficient",
        "Reported 40-90 days after delivery, past the 30-day window.",
        {"days": (40, 90), "photos": (1, 2), "description": "wrong item"},
    ),
    (
        "wrong_item",
        "US",
        "insufficient",
        "The order is only processed, not delivered: nothing has arrived yet.",
        {
            "days": (1, 5),
            "photos": (1, 1),
            "status": "processed",
            "delivered_known": False,
            "events": ["in_transit"],
            "description": "wrong item",
        },
    ),
    (
        "wrong_item",
        "US",
        "needs_human",
        "Photo fine, but 3+ claims already in 90 days.",
        {"days": (1, 20), "photos": (1, 2), "prior": 4, "description": "not what I ordered"},
    ),
    (
        "wrong_item",
        "US",
        "needs_human",
        "The photo predates the delivery.",
        {"days": (1, 20), "photos": (1, 1), "photo_shift_hours": -72, "description": "wrong product"},
    ),
    (
        "wrong_item",
        "US",
        "insufficient",
        "The customer says they picked the wrong size themselves: the item sent is the one ordered; that is an exchange, not a wrong item.",
        {
            "days": (1, 20),
            "photos": (1, 2),
            "description": "I chose the wrong size when ordering, it's my mistake, the shoes are the ones I clicked",
        },
    ),
    (
        "wrong_item",
        "US",
        "needs_human",
        "Photo fine but the order value is above the auto-refund cap.",
        {"days": (1, 20), "photos": (1, 2), "large": True, "description": "got a different model"},
    ),
    (
        "wrong_item",
        "US",
        "insufficient",
        "Only a written complaint, no photo of the item received.",
        {"days": (1, 20), "photos": (0, 0), "text": True, "description": "you sent me the wrong thing"},
    ),
    (
        "not_received",
        "US",
        "sufficient",
        "ETA passed 4-20 days ago (wait 3), last carrier event in transit: lost in practice.",
        {"days": (4, 20), "events": ["shipped", "in_transit"]},
    ),
    (
        "not_received",
        "US",
        "insufficient",
        "ETA only 0-2 days ago (wait 3 days): the parcel may still arrive.",
        {"days": (0, 2.5), "events": ["shipped", "in_transit"]},
    ),
    (
        "not_received",
        "US",
        "needs_human",
        "The carrier says delivered; the customer says not: a dispute a person investigates.",
        {"days": (2, 15), "events": ["shipped", "in_transit", "delivered"]},
    ),
    (
        "not_received",
        "US",
        "sufficient",
        "The carrier reports the parcel lost: no need to wait for the ETA.",
        {"days": (-3, 1), "events": ["shipped", "lost"]},
    ),
    (
        "not_received",
        "US",
        "insufficient",
        "The order is still pending: it never shipped.",
        {"days": (1, 10), "status": "pending", "events": ["none"]},
    ),
    (
        "not_received",
        "US",
        "insufficient",
        "No logistics event at all to support the claim, which the SOP requires.",
        {"days": (5, 15), "status": "processed", "events": ["none"]},
    ),
    (
        "not_received",
        "US",
        "insufficient",
        "The ETA was 35-60 days ago: past the 30-day claim window.",
        {"days": (35, 60), "events": ["shipped", "in_transit"]},
    ),
    (
        "not_received",
        "US",
        "needs_human",
        "Carrier data supports the claim but 3 claims already in 90 days.",
        {"days": (5, 15), "events": ["shipped", "in_transit"], "prior": 3},
    ),
    (
        "not_received",
        "US",
        "needs_human",
        "Supported claim above the auto-refund cap.",
        {"days": (5, 15), "events": ["shipped", "in_transit"], "large": True},
    ),
    (
        "not_received",
        "US",
        "needs_human",
        "In transit and no ETA known: nobody can tell whether it is late.",
        {"days": (5, 15), "events": ["shipped", "in_transit"], "eta_known": False},
    ),
    (
        "not_received",
        "ID",
        "sufficient",
        "ETA 6-12 days ago (wait 5), in transit, the customer described it: what the Indonesian SOP asks.",
        {"days": (6, 12), "events": ["shipped", "in_transit"]},
    ),
    (
        "not_received",
        "ID",
        "insufficient",
        "ETA 1-4 days ago, the Indonesian SOP waits 5 days.",
        {"days": (1, 4), "events": ["shipped", "in_transit"]},
    ),
    (
        "not_received",
        "US",
        "sufficient",
        "The carrier returned the parcel to the sender: it will not arrive.",
        {"days": (0, 10), "events": ["shipped", "returned_to_sender"]},
    ),
    (
        "not_received",
        "US",
        "insufficient",
        "The customer says a neighbour has the parcel and they will pick it up: it was received.",
        {
            "days": (4, 10),
            "events": ["shipped", "in_transit"],
            "description": "oh wait my neighbour took it in, I'll get it from them tonight",
        },
    ),
]


def build():
    rng = random.Random(20260516)
    cases = []
    for s_no, (claim_type, region, gold, why, spec) in enumerate(S, 1):
        params = PARAMS[(claim_type, region)]
        for v in range(5):
            base = datetime(2026, 3, 1, 10, tzinfo=UTC) + timedelta(
                days=rng.randint(0, 60), hours=rng.randint(0, 8)
            )
            days = rng.uniform(*spec["days"])
            events_spec = spec.get("events", ["shipped", "in_transit", "delivered"])
            evidence, order = (
                [],
                {
                    "order_id": f"#W{rng.randint(1000000, 9999999)}",
                    "status": spec.get(
                        "status", "delivered" if claim_type != "not_received" else "processed"
                    ),
                },
            )
            claim = {"type": claim_type}
            low, high = (LARGE if spec.get("large") else SMALL)[region]
            claim["amount"] = str(rng.randint(low, high))
            if claim_type == "not_received":
                eta = base
                claim["reported_at"] = iso(eta + timedelta(days=days))
                if spec.get("eta_known", True):
                    order["eta"] = iso(eta)
                anchor = eta
            else:
                delivered = base
                claim["reported_at"] = iso(delivered + timedelta(days=days))
                anchor = delivered
            if events_spec != ["none"]:
                n = len(events_spec)
                for i, name in enumerate(events_spec):
                    at = (
                        anchor - timedelta(days=(n - 1 - i) * 2)
                        if name == "delivered" or i == n - 1
                        else anchor - timedelta(days=(n - i) * 2)
                    )
                    if claim_type == "not_received" and name in ("lost", "returned_to_sender", "delivered"):
                        reported = anchor + timedelta(days=days)
                        at = min(anchor - timedelta(days=1), reported - timedelta(hours=12))
                    if name == "delivered" and claim_type != "not_received":
                        at = anchor
                        if not spec.get("delivered_known", True):
                            continue
                    evidence.append({"kind": "logistics_event", "event": name, "at": iso(at)})
            for _ in range(rng.randint(*spec.get("photos", (0, 0)))):
                shift = spec.get("photo_shift_hours", rng.uniform(0.5, 20))
                photo = {"kind": "photo", "url": f"https://cdn.example/{rng.randint(1, 10**9)}.jpg"}
                if spec.get("photo_time", True):
                    photo["taken_at"] = iso(anchor + timedelta(hours=shift))
                evidence.append(photo)
            if spec.get("video"):
                evidence.append(
                    {
                        "kind": "video",
                        "url": f"https://cdn.example/{rng.randint(1, 10**9)}.mp4",
                        "taken_at": iso(anchor + timedelta(hours=rng.uniform(0.2, 3))),
                    }
                )
            default_description = {
                "damaged": "the item arrived broken",
                "wrong_item": "wrong item",
                "not_received": "my parcel never arrived",
            }[claim_type]
            claim["description"] = spec.get("description", default_description)
            if spec.get("text"):
                evidence.append({"kind": "text", "text": claim["description"]})
            cases.append(
                {
                    "id": f"ev-{s_no:02d}-{v + 1}",
                    "situation": s_no,
                    "region": region,
                    "scenario": {
                        "damaged": "damaged-item",
                        "wrong_item": "wrong-item",
                        "not_received": "package-not-received",
                    }[claim_type],
                    "claim": claim,
                    "evidence": evidence,
                    "order_facts": order,
                    "params": params,
                    "history": {
                        "claims_last_90_days": spec.get(
                            "prior", rng.choice([0, 0, 1]) if spec.get("prior") is None else spec["prior"]
                        )
                    },
                    "gold": gold,
                    "why": why,
                }
            )
    return cases


if __name__ == "__main__":
    cases = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(cases, indent=1) + "\n")
    print(f"{len(cases)} cases → {OUT}")
