from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient


@pytest.fixture
def make_chatbot(regions):
    """An API client scoped to some regions, with its plain key (as printed once at creation)."""
    from aftersales.services.access import api_client_create

    def make(region_codes=("US", "ID"), **kwargs):
        client, key = api_client_create(actor=None, name="chatbot", region_codes=region_codes, **kwargs)
        return SimpleNamespace(client=client, key=key, auth={"HTTP_AUTHORIZATION": f"Api-Key {key}"})

    return make


@pytest.fixture
def chatbot(make_chatbot):
    return make_chatbot()


@pytest.fixture
def api():
    return APIClient()
