from rest_framework import serializers

from scenarios.models import EvidenceJudgment

DECISIONS = ["matched", "clarify", "out_of_scope"]


class IdentifyRequestSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=2000, trim_whitespace=True)
    region = serializers.CharField(max_length=8)
    identifier = serializers.ChoiceField(choices=["embedded", "llm"], default="embedded", required=False)


class CandidateSerializer(serializers.Serializer):
    scenario = serializers.CharField()
    confidence = serializers.FloatField()


class IdentifyResponseSerializer(serializers.Serializer):
    scenario = serializers.CharField(allow_null=True)
    confidence = serializers.FloatField()
    decision = serializers.ChoiceField(choices=DECISIONS)
    candidates = CandidateSerializer(many=True)
    model = serializers.CharField()


class ClaimSerializer(serializers.Serializer):
    type = serializers.CharField(max_length=32)
    description = serializers.CharField(max_length=4000, allow_blank=True, required=False, default="")
    reported_at = serializers.DateTimeField(required=False)
    delivered_at = serializers.DateTimeField(required=False, help_text="When known to the caller.")
    eta = serializers.DateTimeField(required=False, help_text="Expected delivery (not-received claims).")
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)


class EvidenceItemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["photo", "video", "logistics_event", "text"])

    def to_internal_value(self, data):
        # Metadata beyond `kind` is free-form (taken_at, url, event, at, text …) but bounded.
        validated = super().to_internal_value(data)
        if not isinstance(data, dict) or len(data) > 20:
            raise serializers.ValidationError("An evidence item is an object of at most 20 fields.")
        extra = {
            k: v for k, v in data.items() if k != "kind" and isinstance(v, str | int | float | bool | None)
        }
        return {**extra, **validated}


class EvidenceJudgmentRequestSerializer(serializers.Serializer):
    region = serializers.CharField(max_length=8)
    scenario = serializers.SlugField(max_length=64, required=False, allow_blank=True, default="")
    order_id = serializers.CharField(max_length=64)
    claim = ClaimSerializer()
    evidence = EvidenceItemSerializer(many=True, max_length=50)
    judge = serializers.ChoiceField(choices=["embedded", "llm"], default="embedded", required=False)


class ChecklistItemSerializer(serializers.Serializer):
    item = serializers.CharField()
    met = serializers.BooleanField(allow_null=True)


class EvidenceJudgmentResponseSerializer(serializers.ModelSerializer):
    checklist = ChecklistItemSerializer(many=True)
    missing = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = EvidenceJudgment
        fields = ["id", "verdict", "confidence", "rationale", "missing", "checklist", "judge"]
