from django.urls import path

from scenarios.api.identification import EvidenceJudgmentView, IdentifyView

urlpatterns = [
    path("identify/", IdentifyView.as_view(), name="api-identify"),
    path("evidence-judgments/", EvidenceJudgmentView.as_view(), name="api-evidence-judgments"),
]

from scenarios.api import conversations  # noqa: E402

urlpatterns += [
    path("conversations/", conversations.ConversationCreateView.as_view(), name="api-conversations"),
    path(
        "conversations/<uuid:conversation_id>/",
        conversations.ConversationDetailView.as_view(),
        name="api-conversation",
    ),
    path(
        "conversations/<uuid:conversation_id>/tool-calls/",
        conversations.ConversationToolCallView.as_view(),
        name="api-conversation-tool-calls",
    ),
    path(
        "conversations/<uuid:conversation_id>/feedback/",
        conversations.ConversationFeedbackView.as_view(),
        name="api-conversation-feedback",
    ),
]

from scenarios.api import messages  # noqa: E402

urlpatterns += [
    path(
        "conversations/<uuid:conversation_id>/messages/",
        messages.ConversationMessageView.as_view(),
        name="api-conversation-messages",
    ),
    path("flow-schema/", messages.FlowSchemaView.as_view(), name="api-flow-schema"),
]
