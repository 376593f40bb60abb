import pytest

from aftersales.demo import regions_seed_demo, staff_seed_demo
from aftersales.models import Sop, SopConstraint, SopPublication, SopVersion, SopVersionEvent
from aftersales.selectors.sops import sop_parameters, sop_resolved
from aftersales.sops.consistency import sop_consistency_report
from aftersales.sops.demo import sops_seed_demo

EVIDENCE_PARAMETERS = {
    "claim_window_days",
    "photo_required",
    "min_photos",
    "evidence_required",
    "auto_refund_cap",
    "max_claims_per_90_days",
}


@pytest.fixture
def demo(db):
    regions_seed_demo()
    users = staff_seed_demo()
    created = sops_seed_demo(actor=users["admin"])
    return users, created


def test_sops_seed_demo__fresh_install__policy_and_own_sops_with_history_and_reviews(demo):
    _, created = demo

    assert created == [
        "authentication",
        "order-cancellation",
        "order-modification",
        "return-delivered-item",
        "exchange-delivered-item",
        "human-handoff",
        "package-not-received",
        "damaged-item",
        "wrong-item",
        "late-delivery-compensation",
    ]
    statuses = {(v.sop.key, v.number): v.status for v in SopVersion.objects.select_related("sop")}
    assert statuses[("damaged-item", 1)] == "retired"
    assert statuses[("damaged-item", 2)] == "published"
    assert statuses[("damaged-item", 3)] == "in_review"
    assert statuses[("return-delivered-item", 2)] == "in_review"
    assert statuses[("late-delivery-compensation", 2)] == "in_review"
    assert SopPublication.objects.filter(status="published").count() == 10 * 8
    assert SopConstraint.objects.get().name == "exchange window within return window"
    assert (
        "At the beginning of the conversation, you have to authenticate"
        in sop_resolved(sop_key="authentication", region_code="US").clauses[0]["text"]
    )


def test_sops_seed_demo__run_twice__nothing_added(demo):
    users, _ = demo
    counts = (Sop.objects.count(), SopVersion.objects.count(), SopVersionEvent.objects.count())

    created = sops_seed_demo(actor=users["admin"])

    assert created == []
    assert (Sop.objects.count(), SopVersion.objects.count(), SopVersionEvent.objects.count()) == counts


def test_sops_seed_demo__evidence_sops__carry_the_judge_parameters(demo):
    for key in ("package-not-received", "damaged-item", "wrong-item"):
        assert set(sop_parameters(sop_key=key, region_code="US")) >= EVIDENCE_PARAMETERS
    parameters = sop_parameters(sop_key="package-not-received", region_code="ID")
    assert (parameters["wait_days_after_eta"], parameters["reship_allowed"]) == (5, False)


def test_sops_seed_demo__damaged_item__regions_differ_in_real_parameters(demo):
    us = sop_resolved(sop_key="damaged-item", region_code="US").parameters
    id_ = sop_resolved(sop_key="damaged-item", region_code="ID").parameters
    gb = sop_resolved(sop_key="damaged-item", region_code="GB").parameters

    assert (us["min_photos"]["value"], id_["min_photos"]["value"]) == (2, 3)
    assert id_["evidence_required"]["value"] == ["photo", "video", "text"]
    assert (
        us["claim_window_days"]["value"],
        gb["claim_window_days"]["value"],
        id_["claim_window_days"]["value"],
    ) == (7, 14, 3)
    assert (id_["auto_refund_cap"]["value"], id_["auto_refund_cap"]["unit"]) == ("1000000", "IDR")


def test_sop_consistency_report__demo_damaged_item__spreads_and_overrides(demo):
    report = sop_consistency_report(Sop.objects.get(key="damaged-item"))

    assert report.missing_regions == []
    assert report.violations == []
    claim_window = next(p for p in report.parameters if p.name == "claim_window_days")
    assert claim_window.values == {
        "GB": "14 days",
        "ID": "3 days",
        "MY": "7 days",
        "PH": "7 days",
        "SG": "7 days",
        "TH": "7 days",
        "US": "7 days",
        "VN": "7 days",
    }
    assert claim_window.spread == "11 (x4.67)"
    cap = next(p for p in report.parameters if p.name == "auto_refund_cap")
    assert (cap.differs, cap.spread) == (True, "differs")
    assert report.overridden_clauses == {}
    assert report.published["US"] == "v2"


def test_sops_api__demo_data_two_regions__different_resolved_parameters(demo):
    from rest_framework.test import APIClient

    from aftersales.models import ApiClient, Region

    client, key = ApiClient.objects.create_key(name="chatbot")
    client.regions.set(Region.objects.filter(code__in=["US", "ID"]))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")

    us = api.get("/api/v1/sops/damaged-item/?region=US").json()["parameters"]
    id_ = api.get("/api/v1/sops/damaged-item/?region=ID").json()["parameters"]

    assert us["evidence_required"] == {"value": ["photo", "text"], "type": "list", "unit": ""}
    assert id_["evidence_required"] == {"value": ["photo", "video", "text"], "type": "list", "unit": ""}
    assert (us["auto_refund_cap"]["value"], us["auto_refund_cap"]["unit"]) == ("80.00", "USD")
    assert (id_["auto_refund_cap"]["value"], id_["auto_refund_cap"]["unit"]) == ("1000000", "IDR")
