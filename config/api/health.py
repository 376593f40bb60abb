"""``GET /api/v1/health/``: is this instance able to serve — its database and its broker, each
checked by a real round trip with a short timeout. 200 when all checks pass, 503 otherwise."""

from __future__ import annotations

import time

import structlog
from django.db import connection
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from config.api.base import ApiView
from config.celery import app as celery_app

logger = structlog.get_logger(__name__)

# A probe must answer quickly even when a dependency hangs: a load balancer times out long before
# kombu's defaults (4 s connect, retries with back-off) would give up.
BROKER_CONNECT_TIMEOUT_S = 2.0


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def check_database() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure is "not ok"; the reason goes to the log, not the body
        logger.warning("health_database_failed", error=repr(exc))
        return {"ok": False, "latency_ms": _elapsed_ms(started)}
    return {"ok": True, "latency_ms": _elapsed_ms(started)}


def check_broker() -> dict:
    started = time.perf_counter()
    conn = celery_app.connection_for_write(connect_timeout=BROKER_CONNECT_TIMEOUT_S)
    transport = conn.transport_cls if isinstance(conn.transport_cls, str) else conn.transport.driver_type
    try:
        conn.ensure_connection(
            max_retries=1, interval_start=0, interval_step=0.2, timeout=BROKER_CONNECT_TIMEOUT_S
        )
    except Exception as exc:
        logger.warning("health_broker_failed", transport=transport, error=repr(exc))
        return {"ok": False, "latency_ms": _elapsed_ms(started), "transport": transport}
    finally:
        conn.release()
    return {"ok": True, "latency_ms": _elapsed_ms(started), "transport": transport}


class CheckSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    latency_ms = serializers.FloatField()


class BrokerCheckSerializer(CheckSerializer):
    transport = serializers.CharField(help_text="Kombu transport, e.g. redis or filesystem.")


class HealthChecksSerializer(serializers.Serializer):
    database = CheckSerializer()
    broker = BrokerCheckSerializer()


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "degraded"])
    checks = HealthChecksSerializer()


class HealthView(ApiView):
    @extend_schema(
        operation_id="health",
        summary="Readiness of this instance (database and broker)",
        responses={200: HealthSerializer, 503: HealthSerializer},
    )
    def get(self, request):
        checks = {"database": check_database(), "broker": check_broker()}
        healthy = all(check["ok"] for check in checks.values())
        return Response(
            {"status": "ok" if healthy else "degraded", "checks": checks},
            status=200 if healthy else 503,
        )
