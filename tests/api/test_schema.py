"""The OpenAPI document: generates without warnings, declares the Api-Key scheme and the error shape."""

import pytest
import yaml
from django.core.management import call_command

pytestmark = [pytest.mark.django_db]


def test_schema__spectacular_validate_fail_on_warn__passes(tmp_path):
    # --fail-on-warn turns any warning about any view into a CommandError (and this test's failure).
    path = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    schema = yaml.safe_load(path.read_text())
    assert schema["components"]["securitySchemes"] == {
        "ApiKeyAuth": {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`; create a key with `python manage.py create_api_client`.",
        }
    }
    assert schema["components"]["schemas"]["Error"]["required"] == ["code", "details", "message"]


def test_schema__health_operation__documents_error_responses(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    operation = response.json()["paths"]["/api/v1/health/"]["get"]
    assert operation["security"] == [{"ApiKeyAuth": []}]
    assert sorted(operation["responses"]) == ["200", "401", "403", "429", "503"]
    assert operation["responses"]["401"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }


def test_docs__swagger_ui__public_html(api):
    response = api.get("/api/docs/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert b"swagger-ui" in response.content
