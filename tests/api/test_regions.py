"""require_region: the client's region scope as the API enforces it."""

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.api.urls")]


def test_require_region__region_in_scope__returns_it(api, chatbot):
    response = api.get("/api/v1/test/regions/ID/", **chatbot.auth)
    assert response.status_code == 200
    assert response.json()["region"] == "ID"


def test_require_region__lower_case_code__normalised(api, chatbot):
    response = api.get("/api/v1/test/regions/us/", **chatbot.auth)
    assert response.status_code == 200
    assert response.json()["region"] == "US"


def test_require_region__existing_region_outside_scope__403_region_forbidden(api, chatbot):
    response = api.get("/api/v1/test/regions/GB/", **chatbot.auth)
    assert response.status_code == 403
    assert response.json() == {
        "code": "region_forbidden",
        "message": "This API client may not act in region GB.",
        "details": {"region": "GB"},
    }


def test_require_region__unknown_region__400_unknown_region(api, chatbot):
    response = api.get("/api/v1/test/regions/XX/", **chatbot.auth)
    assert response.status_code == 400
    assert response.json() == {
        "code": "unknown_region",
        "message": "Unknown region 'XX'.",
        "details": {"region": "XX"},
    }
