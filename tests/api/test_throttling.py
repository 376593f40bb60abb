"""One request budget per API client: its own throttle_rate, else the default rate."""

import pytest

from config.api.throttling import ApiClientRateThrottle

pytestmark = [pytest.mark.django_db]

HEALTH = "/api/v1/health/"


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, moved by hand (seconds)."""
    now = [1_000_000.0]
    monkeypatch.setattr(ApiClientRateThrottle, "timer", staticmethod(lambda: now[0]))
    return now


def test_throttle__client_over_its_own_rate__429_with_retry_after(api, make_chatbot, clock):
    # given
    chatbot = make_chatbot(throttle_rate="2/min")
    assert [api.get(HEALTH, **chatbot.auth).status_code for _ in range(2)] == [200, 200]
    clock[0] += 10
    # when
    response = api.get(HEALTH, **chatbot.auth)
    # then
    assert response.status_code == 429
    assert response["Retry-After"] == "50"
    assert response.json() == {
        "code": "throttled",
        "message": "Request was throttled.",
        "details": {"retry_after": 50},
    }


def test_throttle__window_passed__allowed_again(api, make_chatbot, clock):
    chatbot = make_chatbot(throttle_rate="1/min")
    assert api.get(HEALTH, **chatbot.auth).status_code == 200
    assert api.get(HEALTH, **chatbot.auth).status_code == 429
    clock[0] += 61
    assert api.get(HEALTH, **chatbot.auth).status_code == 200


def test_throttle__one_client_throttled__another_client_unaffected(api, make_chatbot, clock):
    # given
    noisy = make_chatbot(throttle_rate="1/min")
    quiet = make_chatbot(throttle_rate="1/min")
    assert api.get(HEALTH, **noisy.auth).status_code == 200
    assert api.get(HEALTH, **noisy.auth).status_code == 429
    # when
    response = api.get(HEALTH, **quiet.auth)
    # then
    assert response.status_code == 200


def test_throttle__client_without_own_rate__default_rate_applies(api, make_chatbot, clock, monkeypatch):
    monkeypatch.setitem(ApiClientRateThrottle.THROTTLE_RATES, "api_client", "1/hour")
    chatbot = make_chatbot()
    assert api.get(HEALTH, **chatbot.auth).status_code == 200
    response = api.get(HEALTH, **chatbot.auth)
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"


def test_throttle__own_rate_above_default__own_rate_wins(api, make_chatbot, clock, monkeypatch):
    monkeypatch.setitem(ApiClientRateThrottle.THROTTLE_RATES, "api_client", "1/hour")
    chatbot = make_chatbot(throttle_rate="3/min")
    assert [api.get(HEALTH, **chatbot.auth).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_throttle__unauthenticated_requests__refused_before_counting(api, make_chatbot, clock):
    chatbot = make_chatbot(throttle_rate="1/min")
    assert [api.get(HEALTH).status_code for _ in range(3)] == [401, 401, 401]
    assert api.get(HEALTH, **chatbot.auth).status_code == 200
