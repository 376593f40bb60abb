"""``GET /api/v1/sops/?region=XX`` and ``GET /api/v1/sops/{key}/?region=XX``: the SOPs in force in a
region, resolved (base + regional variant), with a strong ETag so the chatbot can cache them."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response

from aftersales.api.serializers import ResolvedSopSerializer, SopQuerySerializer
from aftersales.selectors.sops import sop_resolved, sops_resolved_for_region
from aftersales.sops.content import content_hash
from config.api.base import ApiView

REGION_PARAMETER = OpenApiParameter("region", str, required=True, description="Region code, e.g. US.")


def _conditional(request, data) -> Response:
    """200 with an ETag over the body, or 304 when the client already holds exactly this body."""
    etag = f'"{content_hash(data)}"'
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
    return Response(data, headers={"ETag": etag, "Cache-Control": "private, no-cache"})


def _region(view, request) -> str:
    query = SopQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return view.require_region(query.validated_data["region"]).code


class SopListView(ApiView):
    pagination_class = LimitOffsetPagination

    @extend_schema(
        operation_id="sops_list",
        parameters=[REGION_PARAMETER],
        responses={200: ResolvedSopSerializer(many=True)},
        summary="The SOPs published and in force in a region",
    )
    def get(self, request):
        region = _region(self, request)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(sops_resolved_for_region(region_code=region), request, view=self)
        response = paginator.get_paginated_response(ResolvedSopSerializer(page, many=True).data)
        return _conditional(request, response.data)


class SopDetailView(ApiView):
    @extend_schema(
        operation_id="sops_retrieve",
        parameters=[REGION_PARAMETER],
        responses={200: ResolvedSopSerializer},
        summary="One SOP as it is in force in a region",
    )
    def get(self, request, key: str):
        region = _region(self, request)
        return _conditional(
            request, ResolvedSopSerializer(sop_resolved(sop_key=key, region_code=region)).data
        )


urlpatterns = [
    path("sops/", SopListView.as_view(), name="api-sops"),
    path("sops/<slug:key>/", SopDetailView.as_view(), name="api-sop"),
]
