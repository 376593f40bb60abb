"""Probe endpoints for the API base (error shape, region scope), mounted under /api/ only in tests."""

from django.urls import path
from rest_framework import serializers
from rest_framework.response import Response

from aftersales.models import Region
from config.api.base import ApiView
from config.errors import RuleViolation
from config.urls import urlpatterns as project_urlpatterns


class QuantitySerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1)


class EchoQuantityView(ApiView):
    def post(self, request):
        serializer = QuantitySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data)


class RuleViolationView(ApiView):
    def get(self, request):
        raise RuleViolation("Refund above the region's cap.", details={"cap": "100.00", "clause": "REF-2"})


class DjangoValidationView(ApiView):
    def get(self, request):
        Region(code="lower", name="", currency="USD", time_zone="UTC", language="en").full_clean()


class CrashView(ApiView):
    def get(self, request):
        raise RuntimeError("secret internals")


class RegionProbeView(ApiView):
    def get(self, request, code):
        region = self.require_region(code)
        return Response(
            {
                "region": region.code,
                "client": self.api_client.prefix,
                "client_regions": sorted(self.api_client_region_codes),
            }
        )


def plain_django_crash(request):
    raise RuntimeError("secret internals")


urlpatterns = [
    path("api/v1/test/echo/", EchoQuantityView.as_view()),
    path("api/v1/test/rule/", RuleViolationView.as_view()),
    path("api/v1/test/django-validation/", DjangoValidationView.as_view()),
    path("api/v1/test/crash/", CrashView.as_view()),
    path("api/v1/test/plain-crash/", plain_django_crash),
    path("api/v1/test/regions/<str:code>/", RegionProbeView.as_view()),
    *project_urlpatterns,
]
