"""`conversation_requeue`: a handed-off conversation moved to the queue its flow named (the transfer
call closed it with the region's default queue)."""

from scenarios.models import Conversation
from scenarios.services.conversations import conversation_hand_off, conversation_open, conversation_requeue


def _handed_off(regions, queue="general"):
    conversation = conversation_open(actor=None, region=regions["US"], channel="chat")
    return conversation_hand_off(conversation=conversation, queue=queue, summary="Parcel lost.")


def _row(conversation):
    return Conversation.objects.values_list("status", "outcome", "handoff_queue", "handoff_summary").get(
        pk=conversation.pk
    )


def test_conversation_requeue__handed_off_to_the_default_queue__moved_with_an_event(regions):
    # given a conversation the transfer call handed to the default queue
    conversation = _handed_off(regions)

    # when the flow's hand-off step names its own queue
    moved = conversation_requeue(conversation=conversation, queue="logistics")

    # then
    assert moved is True
    assert conversation.handoff_queue == "logistics"
    assert _row(conversation) == ("ended", "handed_off", "logistics", "Parcel lost.")
    assert list(conversation.events.values_list("kind", "data")) == [
        ("opened", {"by": "runtime", "channel": "chat"}),
        (
            "handed_off",
            {
                "by": "runtime",
                "outcome": "handed_off",
                "handoff_queue": "general",
                "handoff_summary": "Parcel lost.",
            },
        ),
        ("handed_off", {"by": "runtime", "handoff_queue": "logistics", "requeued": True}),
    ]


def test_conversation_requeue__already_in_that_queue__nothing_written(regions):
    conversation = _handed_off(regions, queue="logistics")
    events = conversation.events.count()

    moved = conversation_requeue(conversation=conversation, queue="logistics")

    assert moved is False
    assert _row(conversation) == ("ended", "handed_off", "logistics", "Parcel lost.")
    assert conversation.events.count() == events


def test_conversation_requeue__open_conversation__refused_and_nothing_changed(regions):
    # given a conversation no one handed off
    conversation = conversation_open(actor=None, region=regions["US"], channel="chat")

    # when
    moved = conversation_requeue(conversation=conversation, queue="logistics")

    # then it does not become a hand-off by the back door
    assert moved is False
    assert conversation.handoff_queue == ""
    assert _row(conversation) == ("open", "", "", "")
    assert list(conversation.events.values_list("kind", flat=True)) == ["opened"]
