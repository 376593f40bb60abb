from django.urls import path

from scenarios.api.identification import EvidenceJudgmentView, IdentifyView

urlpatterns = [
    path("identify/", IdentifyView.as_view(), name="api-identify"),
    path("evidence-judgments/", EvidenceJudgmentView.as_view(), name="api-evidence-judgments"),
]
