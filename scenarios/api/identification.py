import time

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from config.api.base import ApiView
from scenarios.api.identification_serializers import (
    EvidenceJudgmentRequestSerializer,
    EvidenceJudgmentResponseSerializer,
    IdentifyRequestSerializer,
    IdentifyResponseSerializer,
)
from scenarios.identification.providers import identify


class IdentifyView(ApiView):
    @extend_schema(
        request=IdentifyRequestSerializer,
        responses=IdentifyResponseSerializer,
        summary="Identify the scenario of a customer message",
    )
    def post(self, request):
        payload = IdentifyRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        region = self.require_region(payload.validated_data["region"])
        result = identify(payload.validated_data["text"], region.code, payload.validated_data["identifier"])
        return Response(IdentifyResponseSerializer(result.as_dict()).data)


class EvidenceJudgmentView(ApiView):
    @extend_schema(
        request=EvidenceJudgmentRequestSerializer,
        responses={201: EvidenceJudgmentResponseSerializer},
        summary="Judge whether a claim's evidence is sufficient under the region's SOP",
    )
    def post(self, request):
        from scenarios.services.evidence import evidence_judgment_create

        started = time.perf_counter()
        payload = EvidenceJudgmentRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        region = self.require_region(data["region"])
        judgment = evidence_judgment_create(
            actor=self.api_client,
            region=region,
            scenario_key=data["scenario"],
            order_id=data["order_id"],
            claim=data["claim"],
            evidence=data["evidence"],
            judge_name=data["judge"],
            started=started,
        )
        return Response(EvidenceJudgmentResponseSerializer(judgment).data, status=201)
