import pytest
from rest_framework.test import APIClient

from aftersales.models import Order
from config.errors import NotFound
from scenarios.models import EvidenceJudgment, LLMCall
from tests.scenarios.llm_server import answer, stall, status
from tests.scenarios.test_evidence_judge import DAMAGED_US

URL = "/api/v1/evidence-judgments/"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def order(regions):
    from aftersales.models.marketplace import Customer, Order, OrderItem

    common = {
        "address1": "1 Main St",
        "city": "Austin",
        "country": "USA",
        "zip": "78701",
        "region": regions["US"],
    }
    customer = Customer.objects.create(
        user_id="ann_1", first_name="Ann", last_name="Lee", email="a@example.com", position=0, **common
    )
    order = Order.objects.create(
        order_id="#W2611340", customer=customer, position=0, status="delivered", **common
    )
    OrderItem.objects.create(
        order=order, position=0, name="Lamp", product_id="p1", item_id="i1", price="45.00"
    )
    return order


@pytest.fixture
def published_damaged_sop(monkeypatch):
    """The region's resolved parameters. The SOP lifecycle (draft → review → publish) is another
    app's and tested there; here its selector's answer is fixed."""
    from config.errors import NotFound

    def sop_parameters(*, sop_key, region_code):
        if (sop_key, region_code) == ("damaged-item", "US"):
            return dict(DAMAGED_US)
        raise NotFound("not published")

    monkeypatch.setattr("scenarios.services.evidence.sop_parameters", sop_parameters)


def _body(**overrides):
    return {
        "region": "US",
        "scenario": "damaged-item",
        "order_id": "#W2611340",
        "claim": {
            "type": "damaged",
            "description": "lamp shade cracked",
            "reported_at": "2026-03-03T10:00:00Z",
        },
        "evidence": [
            {"kind": "logistics_event", "event": "delivered", "at": "2026-03-01T10:00:00Z"},
            {"kind": "photo", "url": "https://cdn.example/a.jpg", "taken_at": "2026-03-01T12:00:00Z"},
            {"kind": "photo", "url": "https://cdn.example/b.jpg", "taken_at": "2026-03-01T12:01:00Z"},
        ],
        **overrides,
    }


def test_evidence_judgments__complete_evidence__201_sufficient_and_recorded(
    api, chatbot_key, order, published_damaged_sop
):
    response = api.post(URL, _body(), format="json", **chatbot_key.auth)

    assert response.status_code == 201
    body = response.json()
    assert (body["verdict"], body["confidence"], body["missing"], body["judge"]) == (
        "sufficient",
        0.95,
        [],
        "embedded-v1",
    )
    assert {"item": "amount within the auto-refund cap of 200", "met": True} in body["checklist"]
    saved = EvidenceJudgment.objects.get(pk=body["id"])
    assert (saved.order_id, saved.region_id, saved.verdict, saved.api_client_id) == (
        "#W2611340",
        "US",
        "sufficient",
        chatbot_key.client.pk,
    )


def test_evidence_judgments__order_without_hash__found(api, chatbot_key, order, published_damaged_sop):
    response = api.post(URL, _body(order_id="W2611340"), format="json", **chatbot_key.auth)

    assert response.status_code == 201


def test_evidence_judgments__unknown_order__404_nothing_recorded(
    api, chatbot_key, order, published_damaged_sop
):
    response = api.post(URL, _body(order_id="#W0000000"), format="json", **chatbot_key.auth)

    assert (response.status_code, response.json()["code"]) == (404, "order_not_found")
    assert EvidenceJudgment.objects.count() == 0


def test_evidence_judgments__order_of_another_region__404_nothing_recorded(
    api, chatbot_key, order, published_damaged_sop
):
    # given the order is in GB; the client asks in US (it is granted both)
    Order.objects.filter(pk=order.pk).update(region_id="GB")

    response = api.post(URL, _body(), format="json", **chatbot_key.auth)

    # then an API client keeps its region scoping: a US request learns nothing of a GB order
    assert (response.status_code, response.json()["code"]) == (404, "order_not_found")
    assert response.json()["message"] == "No order #W2611340 in region US."
    assert EvidenceJudgment.objects.count() == 0


def _judge_for_conversation(regions, order, customer_id):
    from scenarios.services.evidence import evidence_judgment_create

    body = _body()
    return evidence_judgment_create(
        actor=None,
        region=regions["US"],
        scenario_key="damaged-item",
        order_id=body["order_id"],
        claim=body["claim"],
        evidence=body["evidence"],
        customer_id=customer_id,
    )


def test_evidence_judgment_create__conversations_customer_order_in_another_region__judged_under_its_sop(
    regions, order, published_damaged_sop
):
    # given ann's order is in GB and her conversation is in US
    Order.objects.filter(pk=order.pk).update(region_id="GB")

    # when the judge step of her conversation asks
    judgment = _judge_for_conversation(regions, order, "ann_1")

    # then her own order is found, as the gateway serves it, and judged under the US SOP
    assert (judgment.order_id, judgment.region_id, judgment.verdict, judgment.api_client_id) == (
        "#W2611340",
        "US",
        "sufficient",
        None,
    )


def test_evidence_judgment_create__another_customers_order__not_found_and_nothing_recorded(
    regions, order, published_damaged_sop
):
    with pytest.raises(NotFound) as raised:
        _judge_for_conversation(regions, order, "bob_2")

    assert (raised.value.code, raised.value.message) == (
        "order_not_found",
        "No order #W2611340 of this customer.",
    )
    assert EvidenceJudgment.objects.count() == 0


def test_evidence_judgment_create__conversation_without_a_verified_customer__not_found_and_nothing_recorded(
    regions, order, published_damaged_sop
):
    # given the order is in the conversation's region, but the conversation verified no one ("")
    with pytest.raises(NotFound) as raised:
        _judge_for_conversation(regions, order, "")

    assert raised.value.code == "order_not_found"
    assert EvidenceJudgment.objects.count() == 0


def test_evidence_judgments__region_not_granted__403_nothing_recorded(api, chatbot_key, order):
    response = api.post(URL, _body(region="ID"), format="json", **chatbot_key.auth)

    assert (response.status_code, response.json()["code"]) == (403, "region_forbidden")
    assert EvidenceJudgment.objects.count() == 0


def test_evidence_judgments__no_published_sop__needs_human(api, chatbot_key, order, published_damaged_sop):
    body = _body(claim={"type": "wrong_item", "description": "not mine"})

    response = api.post(URL, body, format="json", **chatbot_key.auth)

    assert (response.status_code, response.json()["verdict"]) == (201, "needs_human")
    assert response.json()["rationale"] == "No published SOP wrong-item in US: a person decides."


def test_evidence_judgments__bad_evidence_kind__400_nothing_recorded(api, chatbot_key, order):
    response = api.post(URL, _body(evidence=[{"kind": "hologram"}]), format="json", **chatbot_key.auth)

    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert EvidenceJudgment.objects.count() == 0


def test_evidence_judgments__llm_judge_answers__its_verdict(
    api, chatbot_key, order, published_damaged_sop, llm_configuration, scripted_llm
):
    scripted_llm.script(
        answer(
            {
                "verdict": "insufficient",
                "confidence": 0.7,
                "rationale": "blurry photos",
                "missing": ["photo"],
                "checklist": [{"item": "clear photos", "met": False}],
            }
        )
    )

    response = api.post(URL, _body(judge="llm"), format="json", **chatbot_key.auth)

    body = response.json()
    assert (body["verdict"], body["judge"], body["missing"]) == ("insufficient", "llm:scripted", ["photo"])
    sent = scripted_llm.requests[0]["json"]["messages"][1]["content"]
    assert [part["image_url"]["url"] for part in sent if part["type"] == "image_url"] == [
        "https://cdn.example/a.jpg",
        "https://cdn.example/b.jpg",
    ]


@pytest.mark.parametrize(
    ("steps", "outcome"),
    [
        ([stall(1.5), stall(1.5)], "timeout"),
        ([status(500), status(500)], "server_error"),
        ([status(429), status(429)], "rate_limit"),
        ([answer({"verdict": "probably fine", "confidence": 0.9, "rationale": "x"})], "malformed_output"),
    ],
    ids=["stall", "500", "429", "malformed"],
)
def test_evidence_judgments__llm_judge_fails__needs_human_and_call_recorded(
    api, chatbot_key, order, published_damaged_sop, llm_configuration, scripted_llm, steps, outcome
):
    scripted_llm.script(*steps)

    response = api.post(URL, _body(judge="llm"), format="json", **chatbot_key.auth)

    assert (response.status_code, response.json()["verdict"]) == (201, "needs_human")
    assert response.json()["rationale"] == f"The LLM judge failed ({outcome}); a person must decide."
    assert LLMCall.objects.values_list("purpose", "outcome").get() == ("judge_evidence", outcome)
    assert EvidenceJudgment.objects.values_list("verdict", "judge").get() == ("needs_human", "llm:scripted")


def test_evaluate_evidence_judge__command__prints_metrics(capsys):
    from django.core.management import call_command

    call_command("evaluate_evidence_judge", json=True)

    import json

    metrics = json.loads(capsys.readouterr().out)
    assert (metrics["judge"], metrics["n"]) == ("embedded", 205)
