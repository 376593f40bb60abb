"""The conversation API: open a conversation, call a policy-guarded tool in it, read its trace, give
feedback. (``messages/``, the flow runtime's turn, lives beside this in its own module.)"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from config.api.base import ApiView
from config.api.schema import error_response
from config.errors import UpstreamFailure, ValidationFailed
from scenarios.api.conversation_serializers import (
    IDEMPOTENCY_KEY_MAX_LENGTH,
    ConversationCreatedSerializer,
    ConversationCreateSerializer,
    ConversationTraceSerializer,
    FeedbackGivenSerializer,
    FeedbackSerializer,
    ToolCallDeniedSerializer,
    ToolCallExecutedSerializer,
    ToolCallRequestSerializer,
)
from scenarios.models import Conversation
from scenarios.services.conversations import conversation_feedback, conversation_open
from scenarios.services.gateway import gateway_call
from scenarios.trace import conversation_for_regions, conversation_trace

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Required for writes (at most 255 characters). The same key with the same request "
    "returns the stored response without executing again (with `Idempotent-Replayed: true`); with "
    "another request it is a 409 `idempotency_conflict`. A key executes once, ever; keys are per API client.",
)


class ConversationCreateView(ApiView):
    @extend_schema(
        operation_id="conversations_create",
        request=ConversationCreateSerializer,
        responses={201: ConversationCreatedSerializer},
        summary="Open a conversation",
    )
    def post(self, request):
        payload = ConversationCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        conversation = conversation_open(
            actor=self.api_client,
            region=self.require_region(data["region"]),
            channel=data["channel"],
            customer_id=data.get("customer_id"),
        )
        body = {
            "id": conversation.pk,
            "region": conversation.region_id,
            "verified_customer_id": conversation.customer_id,
        }
        return Response(ConversationCreatedSerializer(body).data, status=status.HTTP_201_CREATED)


class ConversationDetailView(ApiView):
    @extend_schema(
        operation_id="conversations_retrieve",
        responses={200: ConversationTraceSerializer},
        summary="A conversation's whole trace: turns, tool calls, denials, timings, events, outcome",
    )
    def get(self, request, conversation_id):
        conversation = conversation_for_regions(conversation_id, self.api_client_region_codes)
        return Response(ConversationTraceSerializer(conversation_trace(conversation)).data)


class ConversationToolCallView(ApiView):
    @extend_schema(
        operation_id="conversations_tool_calls_create",
        request=ToolCallRequestSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            200: ToolCallExecutedSerializer,
            404: error_response("No such conversation, or `unknown_tool`."),
            409: error_response("`idempotency_conflict`: the key was used with another request."),
            422: OpenApiResponse(
                ToolCallDeniedSerializer, description="The policy guard or a tool rule refused."
            ),
            502: error_response("`tool_failed`: the tool failed unexpectedly; retry with the same key."),
        },
        summary="Call a tool through the policy guard",
    )
    def post(self, request, conversation_id):
        payload = ToolCallRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key", "").strip() or None
        if key is not None and len(key) > IDEMPOTENCY_KEY_MAX_LENGTH:
            raise ValidationFailed(
                f"An Idempotency-Key has at most {IDEMPOTENCY_KEY_MAX_LENGTH} characters.",
                code="invalid_idempotency_key",
            )
        outcome = gateway_call(
            # A reference: the gateway reads the conversation, scoped to the client's regions, in the
            # statement that claims the call.
            conversation=Conversation(pk=conversation_id),
            region_codes=self.api_client_region_codes,
            name=payload.validated_data["name"],
            arguments=payload.validated_data["arguments"],
            confirmed=payload.validated_data["confirmed"],
            idempotency_key=key,
            source="api",
        )
        headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
        if outcome.status == "executed":
            return Response({"status": "executed", "result": outcome.result}, headers=headers)
        if outcome.status == "denied":
            body = {
                "status": "denied",
                "code": outcome.code,
                "rule": outcome.rule,
                "message": outcome.message,
            }
            return Response(body, status=status.HTTP_422_UNPROCESSABLE_ENTITY, headers=headers)
        raise UpstreamFailure(
            outcome.message, code=outcome.code, details={"tool_call": outcome.tool_call.seq}
        )


class ConversationFeedbackView(ApiView):
    @extend_schema(
        operation_id="conversations_feedback_create",
        request=FeedbackSerializer,
        responses={
            200: FeedbackGivenSerializer,
            409: error_response("`feedback_already_given`."),
        },
        summary="The customer's rating of the conversation (once)",
    )
    def post(self, request, conversation_id):
        conversation = conversation_for_regions(conversation_id, self.api_client_region_codes)
        payload = FeedbackSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        conversation = conversation_feedback(
            actor=self.api_client,
            conversation=conversation,
            csat=payload.validated_data["csat"],
            resolved=payload.validated_data["resolved"],
        )
        body = {
            "id": conversation.pk,
            "csat": conversation.csat,
            "resolved": conversation.resolved_by_customer,
        }
        return Response(FeedbackGivenSerializer(body).data)
