from django.db import models


class EvidenceJudgment(models.Model):
    """One evidence judgment as returned to the caller, with its inputs (the audit trail)."""

    class Verdict(models.TextChoices):
        SUFFICIENT = "sufficient", "Sufficient"
        INSUFFICIENT = "insufficient", "Insufficient"
        NEEDS_HUMAN = "needs_human", "Needs a human"

    region = models.ForeignKey(
        "aftersales.Region", on_delete=models.PROTECT, related_name="evidence_judgments"
    )
    scenario_key = models.SlugField(max_length=64, blank=True)
    order_id = models.CharField(max_length=64, blank=True, db_index=True)
    claim = models.JSONField(default=dict)
    evidence = models.JSONField(default=list)
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    confidence = models.FloatField()
    rationale = models.TextField()
    missing = models.JSONField(default=list, blank=True)
    checklist = models.JSONField(default=list, blank=True)
    judge = models.CharField(max_length=120)
    api_client = models.ForeignKey(
        "aftersales.ApiClient", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    latency_ms = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.order_id or '—'} {self.claim.get('type', '')}: {self.verdict}"
