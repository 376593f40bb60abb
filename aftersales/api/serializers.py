"""Serializers of the aftersales API: output shapes only (these endpoints are read-only)."""

from __future__ import annotations

from rest_framework import serializers


class SopQuerySerializer(serializers.Serializer):
    region = serializers.CharField(max_length=8, help_text="Region code, e.g. US.")


class SopClauseSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="Stable clause id, e.g. RET-3.")
    title = serializers.CharField()
    text = serializers.CharField()


class SopParameterSerializer(serializers.Serializer):
    value = serializers.JSONField(help_text="Decimals are strings; lists are lists of choices.")
    type = serializers.CharField()
    unit = serializers.CharField(allow_blank=True)


class ResolvedSopSerializer(serializers.Serializer):
    """An SOP as it is in force in one region: base + that region's variant."""

    key = serializers.CharField()
    title = serializers.CharField()
    owning_team = serializers.CharField()
    region = serializers.CharField(source="region_code")
    version = serializers.IntegerField(source="version_number")
    version_id = serializers.IntegerField()
    effective_at = serializers.DateTimeField()
    content_hash = serializers.CharField()
    clauses = SopClauseSerializer(many=True)
    parameters = serializers.DictField(child=SopParameterSerializer())
