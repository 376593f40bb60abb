"""A property-based fuzz of the whole API from its own OpenAPI document (schemathesis): no request
— valid or not — gets a 5xx, and every response matches what the document promises."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

pytest.register_assert_rewrite("tests.scenarios.gateway_fixtures")
pytest_plugins = ["tests.scenarios.gateway_fixtures"]

# Per operation: enough to reach each error branch, small enough to keep the suite fast.
EXAMPLES = 25


def _schema():
    # Loaded at collection (pytest-django has set Django up by then): generating the document needs
    # no database, and each operation becomes its own test item with its own fixtures.
    from config.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


schema = _schema()


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Requests go through the real WSGI handler, whose end-of-request signal would close the test's
    database connection (Django's own test client disconnects it the same way)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_auth(world, api_clients):
    """A client trusted to assert identity in US, with the marketplace and SOPs in place and one
    conversation (fuzzed ids mostly miss it, which the 404 branch needs anyway)."""
    world("ann_lee_1")
    return api_clients.trusted.auth


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api__fuzzed_from_its_schema__no_5xx_and_responses_match_the_schema(case, fuzz_auth):
    headers = {"Authorization": fuzz_auth["HTTP_AUTHORIZATION"]}
    case.call_and_validate(
        headers=headers,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
