"""The demo SOPs as data: the reference store's policy (τ²-retail, MIT; its text is quoted from
aftersales/data/tau2-retail/policy.md) cut into structured SOPs, and our own aftersales SOPs with
their regional variants and later revisions. Built by aftersales.sops.demo."""

from __future__ import annotations

import re
from pathlib import Path

POLICY_PATH = Path(__file__).resolve().parent.parent / "data" / "tau2-retail" / "policy.md"
ALL_REGIONS = ["US", "GB", "ID", "MY", "TH", "VN", "PH", "SG"]
EVIDENCE = ["photo", "video", "logistics_event", "text"]
# The auto-refund cap in each region's currency (the base is USD).
REFUND_CAPS = {
    "GB": ("80.00", "GBP"),
    "ID": ("1500000", "IDR"),
    "MY": ("400.00", "MYR"),
    "TH": ("3000.00", "THB"),
    "VN": ("2000000", "VND"),
    "PH": ("5000.00", "PHP"),
    "SG": ("130.00", "SGD"),
}


def policy_sections(text: str) -> dict[str, list[str]]:
    """Heading → its paragraphs (list items joined), from the reference policy's Markdown."""
    sections: dict[str, list[str]] = {}
    heading = ""
    for block in re.split(r"\n\s*\n", text):
        block = block.strip()
        if block.startswith("#"):
            heading = block.lstrip("#").strip()
            sections.setdefault(heading, [])
        elif block:
            sections.setdefault(heading, []).append(block)
    return sections


def _pick(paragraphs: list[str], *starts: str) -> str:
    found = [p for p in paragraphs if p.startswith(starts)]
    if not found:
        raise ValueError(f"the reference policy has no paragraph starting with {starts}")
    return "\n\n".join(found)


def _param(name, type_, value, unit="", description="", **extra) -> dict:
    return {"name": name, "type": type_, "value": value, "unit": unit, "description": description, **extra}


def _caps(base_regions=ALL_REGIONS) -> dict[str, dict]:
    return {r: {"params": {"auto_refund_cap": REFUND_CAPS[r]}} for r in base_regions if r in REFUND_CAPS}


def _evidence_params(*, window, photo, min_photos, evidence, cap, max_claims) -> list[dict]:
    return [
        _param(
            "claim_window_days",
            "integer",
            window,
            "days",
            "Days after delivery to open a claim.",
            min_value=0,
            max_value=90,
        ),
        _param("photo_required", "boolean", photo, "", "A photo of the item is required."),
        _param("min_photos", "integer", min_photos, "photos", "", min_value=0, max_value=10),
        _param("evidence_required", "list", evidence, "", "Evidence the claim must carry.", choices=EVIDENCE),
        _param("auto_refund_cap", "decimal", cap, "USD", "Above it a human decides.", min_value=0),
        _param(
            "max_claims_per_90_days",
            "integer",
            max_claims,
            "claims",
            "More claims than this in 90 days go to a human.",
            min_value=0,
            max_value=50,
        ),
    ]


def policy_specs(sections: dict[str, list[str]]) -> list[dict]:
    intro = sections["Retail agent policy"]
    generic = sections["Generic action rules"]
    confirm = _pick(intro, "Before taking any action")
    return [
        {
            "key": "authentication",
            "title": "Authenticate the customer",
            "prefix": "AUTH",
            "team": "CS operations",
            "clauses": [
                ("Identify the user", _pick(intro, "At the beginning of the conversation")),
                ("After authentication", _pick(intro, "Once the user has been authenticated")),
                ("One user per conversation", _pick(intro, "You can only help one user")),
            ],
            "params": [
                _param(
                    "auth_methods",
                    "list",
                    ["email", "name_zip"],
                    "",
                    "Ways to locate the user id.",
                    choices=["email", "name_zip", "phone_otp"],
                ),
            ],
            "variants": {
                "ID": {
                    "params": {"auth_methods": (["email", "phone_otp"], "")},
                    "note": "Phone OTP is the norm in Indonesia.",
                }
            },
        },
        {
            "key": "order-cancellation",
            "title": "Cancel a pending order",
            "prefix": "CAN",
            "team": "CS operations",
            "clauses": [
                (
                    "Only pending orders",
                    _pick(sections["Cancel pending order"], "An order can only be cancelled"),
                ),
                ("Reason", _pick(sections["Cancel pending order"], "The user needs to confirm")),
                ("Refund", _pick(sections["Cancel pending order"], "After user confirmation")),
                ("Confirmation", confirm),
            ],
            "params": [
                _param(
                    "cancel_reasons",
                    "list",
                    ["no longer needed", "ordered by mistake"],
                    "",
                    choices=["no longer needed", "ordered by mistake", "delivery too slow"],
                ),
                _param(
                    "refund_business_days_max",
                    "integer",
                    7,
                    "days",
                    "Non gift card refunds.",
                    min_value=0,
                    max_value=30,
                ),
            ],
            "variants": {
                "GB": {
                    "params": {"refund_business_days_max": (14, "")},
                    "note": "Consumer Contracts Regulations allow 14 days.",
                }
            },
        },
        {
            "key": "order-modification",
            "title": "Modify a pending order",
            "prefix": "MOD",
            "team": "CS operations",
            "clauses": [
                (
                    "Only pending orders",
                    _pick(sections["Modify pending order"], "An order can only be modified"),
                ),
                ("What can change", _pick(sections["Modify pending order"], "For a pending order")),
                ("Payment", "\n\n".join(sections["Modify payment"])),
                ("Items", "\n\n".join(sections["Modify items"])),
                ("Once per order", _pick(generic, "Exchange or modify order tools")),
            ],
            "params": [_param("modify_items_max_calls", "integer", 1, "calls", min_value=1, max_value=1)],
            "variants": {},
        },
        {
            "key": "return-delivered-item",
            "title": "Return a delivered order",
            "prefix": "RET",
            "team": "CS operations",
            "clauses": [
                (
                    "Only delivered orders",
                    _pick(sections["Return delivered order"], "An order can only be returned"),
                ),
                ("Items and order", _pick(sections["Return delivered order"], "The user needs to confirm")),
                (
                    "Refund destination",
                    _pick(sections["Return delivered order"], "The user needs to provide", "The refund must"),
                ),
                ("After confirmation", _pick(sections["Return delivered order"], "After user confirmation")),
            ],
            "params": [
                _param(
                    "return_window_days",
                    "integer",
                    30,
                    "days",
                    "Days after delivery.",
                    min_value=0,
                    max_value=365,
                ),
                _param(
                    "refund_destinations",
                    "list",
                    ["original_payment_method", "gift_card"],
                    "",
                    choices=["original_payment_method", "gift_card", "wallet"],
                ),
            ],
            "variants": {
                "ID": {
                    "params": {
                        "return_window_days": (7, ""),
                        "refund_destinations": (["original_payment_method", "wallet"], ""),
                    }
                },
                "VN": {"params": {"return_window_days": (7, "")}},
                "PH": {"params": {"return_window_days": (15, "")}},
            },
            "revisions": [
                {
                    "summary": "Indonesia: return window 7 → 10 days.",
                    "state": "in_review",
                    "variants": {"ID": {"params": {"return_window_days": (10, "")}}},
                },
            ],
        },
        {
            "key": "exchange-delivered-item",
            "title": "Exchange a delivered order",
            "prefix": "EXC",
            "team": "CS operations",
            "clauses": [
                (
                    "Only delivered orders",
                    _pick(sections["Exchange delivered order"], "An order can only be exchanged"),
                ),
                ("Same product", _pick(sections["Exchange delivered order"], "For a delivered order")),
                ("Price difference", _pick(sections["Exchange delivered order"], "The user must provide")),
                (
                    "After confirmation",
                    _pick(sections["Exchange delivered order"], "After user confirmation"),
                ),
                ("Once per order", _pick(generic, "Exchange or modify order tools")),
            ],
            "params": [
                _param(
                    "exchange_window_days",
                    "integer",
                    30,
                    "days",
                    "Days after delivery.",
                    min_value=0,
                    max_value=365,
                ),
            ],
            "variants": {
                "ID": {"params": {"exchange_window_days": (7, "")}},
                "VN": {"params": {"exchange_window_days": (7, "")}},
                "PH": {"params": {"exchange_window_days": (15, "")}},
            },
        },
        {
            "key": "human-handoff",
            "title": "Hand off to a human agent",
            "prefix": "HND",
            "team": "CS operations",
            "clauses": [
                ("When", _pick(intro, "You should transfer the user")),
                ("Deny out-of-policy requests", _pick(intro, "You should deny user requests")),
                ("No invention", _pick(intro, "You should not make up")),
            ],
            "params": [
                _param("handoff_queue", "choice", "general", "", choices=["general", "priority", "local"])
            ],
            "variants": {"SG": {"params": {"handoff_queue": ("local", "")}}},
        },
    ]


def own_specs() -> list[dict]:
    return [
        {
            "key": "package-not-received",
            "title": "Package not received",
            "prefix": "PNR",
            "team": "Logistics CX",
            "clauses": [
                (
                    "Wait for the carrier",
                    "If the estimated delivery date (ETA) has not passed by more than "
                    "wait_days_after_eta days, tell the customer the expected date and do not open a claim.",
                ),
                (
                    "Logistics check",
                    "Look up the tracking events of the order's fulfilment. A delivery scan "
                    "with a proof of delivery makes the claim a 'delivered but not received' case.",
                ),
                (
                    "Lost in transit",
                    "If the carrier reports the parcel lost or there is no scan for 5 days after "
                    "the ETA, refund up to auto_refund_cap, or reship when reship_allowed and the item is "
                    "in stock.",
                ),
                (
                    "Delivered but not received",
                    "Ask for a short description (text) and check the claim history: "
                    "more than max_claims_per_90_days claims go to a human.",
                ),
                (
                    "Above the cap",
                    "Claims above auto_refund_cap are handed off to a human with the logistics "
                    "evidence attached.",
                ),
            ],
            "params": [
                *_evidence_params(
                    window=30,
                    photo=False,
                    min_photos=0,
                    evidence=["logistics_event", "text"],
                    cap="100.00",
                    max_claims=2,
                ),
                _param(
                    "wait_days_after_eta",
                    "integer",
                    2,
                    "days",
                    "Days after the ETA before a claim.",
                    min_value=0,
                    max_value=30,
                ),
                _param(
                    "reship_allowed", "boolean", True, "", "A replacement may be shipped instead of a refund."
                ),
            ],
            "variants": {
                **_caps(),
                "GB": {"params": {"auto_refund_cap": REFUND_CAPS["GB"], "wait_days_after_eta": (3, "")}},
                "ID": {
                    "params": {
                        "auto_refund_cap": REFUND_CAPS["ID"],
                        "wait_days_after_eta": (5, ""),
                        "reship_allowed": (False, ""),
                        "max_claims_per_90_days": (1, ""),
                    },
                    "clauses": {
                        "PNR-3": "If the carrier reports the parcel lost, refund up to auto_refund_cap "
                        "to the original payment method; reshipping is not offered (COD fraud)."
                    },
                    "note": "High COD fraud: no reship, fewer claims.",
                },
                "PH": {"params": {"auto_refund_cap": REFUND_CAPS["PH"], "wait_days_after_eta": (7, "")}},
            },
            "revisions": [
                {
                    "summary": "US: raise the auto-refund cap to 150 USD.",
                    "state": "published",
                    "params": {"auto_refund_cap": "150.00"},
                },
            ],
        },
        {
            "key": "damaged-item",
            "title": "Damaged item",
            "prefix": "DMG",
            "team": "CS operations",
            "clauses": [
                ("Claim window", "A damaged item is claimed within claim_window_days days of delivery."),
                (
                    "Photo evidence",
                    "Ask for at least min_photos photos showing the damage and the parcel label "
                    "when photo_required; each evidence type in evidence_required must be present.",
                ),
                (
                    "Refund or replacement",
                    "With sufficient evidence refund up to auto_refund_cap, or send a "
                    "replacement if the customer prefers and the item is in stock.",
                ),
                ("Repeat claims", "More than max_claims_per_90_days claims in 90 days go to a human."),
            ],
            "params": _evidence_params(
                window=7, photo=True, min_photos=2, evidence=["photo", "text"], cap="80.00", max_claims=3
            ),
            "variants": {
                **_caps(),
                "GB": {"params": {"auto_refund_cap": REFUND_CAPS["GB"], "claim_window_days": (14, "")}},
                "ID": {
                    "params": {
                        "auto_refund_cap": ("1000000", "IDR"),
                        "min_photos": (3, ""),
                        "evidence_required": (["photo", "video", "text"], ""),
                        "claim_window_days": (3, ""),
                    },
                    "note": "Unboxing video is standard for marketplace claims in Indonesia.",
                },
                "TH": {
                    "params": {
                        "auto_refund_cap": REFUND_CAPS["TH"],
                        "evidence_required": (["photo", "video", "text"], ""),
                    }
                },
            },
            "revisions": [
                {
                    "summary": "Fewer repeat claims before a human looks.",
                    "state": "published",
                    "params": {"max_claims_per_90_days": 2},
                },
                {
                    "summary": "Malaysia: require an unboxing video.",
                    "state": "in_review",
                    "variants": {"MY": {"params": {"evidence_required": (["photo", "video", "text"], "")}}},
                },
            ],
        },
        {
            "key": "wrong-item",
            "title": "Wrong item received",
            "prefix": "WRG",
            "team": "CS operations",
            "clauses": [
                ("Claim window", "A wrong item is claimed within claim_window_days days of delivery."),
                (
                    "Evidence",
                    "Ask for min_photos photos of the item received and its label; the label must "
                    "show a different item id than ordered.",
                ),
                (
                    "Resolution",
                    "Ship the ordered item (or refund up to auto_refund_cap if out of stock); the "
                    "customer returns the wrong item with a prepaid label.",
                ),
                ("Repeat claims", "More than max_claims_per_90_days claims in 90 days go to a human."),
            ],
            "params": _evidence_params(
                window=14, photo=True, min_photos=1, evidence=["photo"], cap="100.00", max_claims=3
            ),
            "variants": {
                **_caps(),
                "GB": {"params": {"auto_refund_cap": REFUND_CAPS["GB"], "claim_window_days": (30, "")}},
                "VN": {
                    "params": {
                        "auto_refund_cap": REFUND_CAPS["VN"],
                        "min_photos": (2, ""),
                        "evidence_required": (["photo", "text"], ""),
                    }
                },
                "SG": {"params": {"auto_refund_cap": REFUND_CAPS["SG"], "claim_window_days": (7, "")}},
            },
        },
        {
            "key": "late-delivery-compensation",
            "title": "Late-delivery compensation",
            "prefix": "LDC",
            "team": "Logistics CX",
            "clauses": [
                (
                    "When it applies",
                    "A delivery more than late_days_threshold days after the promised date "
                    "earns compensation, once per order.",
                ),
                (
                    "What is offered",
                    "Offer compensation_type worth compensation_amount; never cash for vouchers.",
                ),
                ("Limits", "At most max_compensations_per_90_days per customer in 90 days."),
            ],
            "params": [
                _param("late_days_threshold", "integer", 2, "days", min_value=0, max_value=30),
                _param("compensation_type", "choice", "voucher", "", choices=["voucher", "shipping_refund"]),
                _param("compensation_amount", "decimal", "5.00", "USD", min_value=0),
                _param("max_compensations_per_90_days", "integer", 2, "compensations", min_value=0),
            ],
            "variants": {
                "GB": {
                    "params": {
                        "compensation_type": ("shipping_refund", ""),
                        "compensation_amount": ("4.00", "GBP"),
                    }
                },
                "ID": {"params": {"late_days_threshold": (3, ""), "compensation_amount": ("20000", "IDR")}},
                "TH": {"params": {"compensation_amount": ("100.00", "THB")}},
                "SG": {"params": {"late_days_threshold": (1, ""), "compensation_amount": ("5.00", "SGD")}},
            },
            "revisions": [
                {
                    "summary": "Indonesia: compensation 20,000 → 25,000 IDR.",
                    "state": "in_review",
                    "variants": {"ID": {"params": {"compensation_amount": ("25000", "IDR")}}},
                },
            ],
        },
    ]
