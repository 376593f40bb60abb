"""`POST conversations/{id}/messages/`: one customer message, one turn of the routed scenario's flow;
and `GET flow-schema/`, the published JSON schema of flow definitions."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from config.api.base import ApiView
from config.api.schema import error_response
from scenarios.api.identification_serializers import EvidenceItemSerializer
from scenarios.engine.schema import FLOW_SCHEMA
from scenarios.models import Conversation
from scenarios.services.flows import conversation_message

MAX_TEXT = 2000


class MessageRequestSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=MAX_TEXT, trim_whitespace=True)
    evidence = EvidenceItemSerializer(
        many=True, required=False, max_length=10, help_text="Photos, videos or events sent with the message."
    )


class ActionSerializer(serializers.Serializer):
    name = serializers.CharField()
    arguments = serializers.JSONField()
    status = serializers.ChoiceField(choices=["executed", "denied", "failed"])


class HandoffSerializer(serializers.Serializer):
    queue = serializers.CharField()
    summary = serializers.CharField()


class TurnStateSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["route", "continue", "clarify", "handoff"])
    step = serializers.CharField(allow_null=True, help_text="The step the flow waits at (null: none).")
    waiting = serializers.BooleanField()
    slots = serializers.DictField()


class MessageResponseSerializer(serializers.Serializer):
    reply = serializers.CharField(allow_blank=True)
    scenario = serializers.CharField(allow_null=True)
    confidence = serializers.FloatField(allow_null=True)
    state = TurnStateSerializer()
    actions = ActionSerializer(many=True)
    handoff = HandoffSerializer(allow_null=True)
    ended = serializers.BooleanField()


class ConversationMessageView(ApiView):
    @extend_schema(
        operation_id="conversations_messages_create",
        request=MessageRequestSerializer,
        responses={
            200: MessageResponseSerializer,
            409: error_response("`conversation_ended`: the conversation has ended."),
        },
        summary="Send the customer's message: one turn of the routed scenario's flow",
    )
    def post(self, request, conversation_id):
        payload = MessageRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        result = conversation_message(
            # A reference: the turn reads the conversation once, under its lock, in the client's regions.
            conversation=Conversation(pk=conversation_id),
            region_codes=self.api_client_region_codes,
            text=payload.validated_data["text"],
            evidence=payload.validated_data.get("evidence", []),
        )
        # The result has the documented shape already (MessageResponseSerializer documents it):
        # passing it through the serializer's fields cost ~0.5 ms a turn and changed nothing.
        return Response(result.as_dict())


class FlowSchemaView(ApiView):
    @extend_schema(
        operation_id="flow_schema_retrieve",
        responses={200: OpenApiTypes.OBJECT},
        summary="The JSON schema of flow definitions",
    )
    def get(self, request):
        return Response(FLOW_SCHEMA)
