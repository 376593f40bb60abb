"""GET /api/v1/health/: a real database query and a real broker connection."""

import pytest
from django.conf import settings

from config.celery import app as celery_app

pytestmark = [pytest.mark.django_db]

HEALTH = "/api/v1/health/"
EXPECTED_TRANSPORT = "redis" if settings.REDIS_URL else "filesystem"


def _without_latencies(body):
    return {
        "status": body["status"],
        "checks": {
            name: {key: value for key, value in check.items() if key != "latency_ms"}
            for name, check in body["checks"].items()
        },
    }


def test_health__database_and_broker_up__200_ok(api, chatbot):
    # when
    response = api.get(HEALTH, **chatbot.auth)
    # then
    assert response.status_code == 200
    body = response.json()
    assert _without_latencies(body) == {
        "status": "ok",
        "checks": {"database": {"ok": True}, "broker": {"ok": True, "transport": EXPECTED_TRANSPORT}},
    }
    assert all(0 <= check["latency_ms"] < 2000 for check in body["checks"].values())


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (a real Redis broker)")
def test_health__real_redis_broker__reached(api, chatbot):
    response = api.get(HEALTH, **chatbot.auth)
    assert response.status_code == 200
    assert response.json()["checks"]["broker"]["transport"] == "redis"
    assert response.json()["checks"]["broker"]["ok"] is True


def test_health__broker_unreachable__503_degraded(api, chatbot, monkeypatch):
    # given: a Redis URL on a closed loopback port
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    # when
    response = api.get(HEALTH, **chatbot.auth)
    # then
    assert response.status_code == 503
    body = response.json()
    assert _without_latencies(body) == {
        "status": "degraded",
        "checks": {"database": {"ok": True}, "broker": {"ok": False, "transport": "redis"}},
    }
    assert body["checks"]["broker"]["latency_ms"] < 3000


def test_health__without_key__401(api):
    response = api.get(HEALTH)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
