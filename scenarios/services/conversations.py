"""Every write to a conversation's envelope: open, verify the customer, hand off, end, feedback.

Status and identity change through guarded conditional UPDATEs (0 rows → the change lost a race or
is not allowed) and each change writes a ConversationEvent, the business audit trail.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from aftersales.models import ApiClient, Customer, Region
from config.batch import WriteBatch
from config.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from scenarios.models import Conversation, ConversationEvent

Outcome = Conversation.Outcome
Status = Conversation.Status
DEFAULT_HANDOFF_QUEUE = "general"


def _event(
    conversation: Conversation, kind: str, actor=None, batch: WriteBatch | None = None, **data
) -> None:
    # Who made the change: an API client by name, or the runtime (flow, agent, gateway) itself.
    data["by"] = str(actor) if actor is not None else "runtime"
    event = ConversationEvent(conversation=conversation, kind=kind, data=data)
    if batch is not None:
        batch.insert([event])
    else:
        event.save()


@transaction.atomic
def conversation_open(
    *, actor: ApiClient | None, region: Region, channel: str, customer_id: str | None = None
) -> Conversation:
    """A new open conversation. ``customer_id`` is the client asserting an identity it has already
    verified itself; only clients trusted with ``may_assert_identity`` may do that."""
    customer = None
    if customer_id is not None:
        if actor is None or not actor.may_assert_identity:
            raise Forbidden(
                "This API client may not assert a customer's identity.", code="identity_assertion_forbidden"
            )
        customer = Customer.objects.filter(pk=customer_id).first()
        if customer is None:
            raise ValidationFailed(
                f"Unknown customer {customer_id!r}.",
                code="unknown_customer",
                details={"customer_id": [f"No customer {customer_id!r}."]},
            )
    conversation = Conversation(
        region=region,
        channel=channel,
        api_client=actor,
        customer=customer,
        verified_via=Conversation.VerifiedVia.ASSERTED if customer else "",
    )
    conversation.full_clean()
    conversation.save()
    _event(conversation, ConversationEvent.Kind.OPENED, actor, channel=channel)
    if customer is not None:
        _event(
            conversation,
            ConversationEvent.Kind.CUSTOMER_VERIFIED,
            actor,
            customer_id=customer.pk,
            via="asserted",
        )
    return conversation


def conversation_verify_customer(*, conversation: Conversation, customer_id: str, via: str) -> bool:
    """Make ``customer_id`` the conversation's verified customer if it has none yet.

    Returns whether the conversation is (now) verified as that customer; False means it is verified
    as someone else, which the caller denies (one customer per conversation). Call inside the
    caller's transaction."""
    verified = Conversation.objects.filter(pk=conversation.pk, customer__isnull=True).update(
        customer_id=customer_id, verified_via=via, updated=timezone.now()
    )
    if verified:
        conversation.customer_id, conversation.verified_via = customer_id, via
        _event(conversation, ConversationEvent.Kind.CUSTOMER_VERIFIED, customer_id=customer_id, via=via)
        return True
    current = Conversation.objects.values_list("customer_id", flat=True).get(pk=conversation.pk)
    conversation.customer_id = current
    return current == customer_id


def _close(
    conversation: Conversation, actor, outcome: str, kind: str, batch: WriteBatch | None, **fields
) -> Conversation:
    """The guarded status change (open → ended) and its event, sent together. With ``batch`` (the
    caller holds the row lock in its transaction and writes its turn in one round trip at the end)
    both join the caller's batch, and a guard miss at its flush rolls the caller's transaction back;
    without, they are sent here, atomically. (On a miss, ``conversation`` in memory already carries
    the ending: the caller gets ``conversation_ended`` and must not use it.)"""
    own = batch if batch is not None else WriteBatch()
    ended = InvalidTransition(f"{conversation} has already ended.", code="conversation_ended")
    conversation.status, conversation.outcome, conversation.ended_at = Status.ENDED, outcome, timezone.now()
    for name, value in fields.items():
        setattr(conversation, name, value)
    changed = ["status", "outcome", "ended_at", "updated", *fields]
    own.update(conversation, changed, only_if={"status": Status.OPEN}, or_raise=ended)
    _event(conversation, kind, actor, own, outcome=outcome, **fields)
    if batch is None:
        with transaction.atomic():
            own.flush()
    return conversation


def conversation_hand_off(
    *, actor=None, conversation: Conversation, queue: str, summary: str, batch: WriteBatch | None = None
) -> Conversation:
    """End the bot's part: a human agent of ``queue`` takes over with ``summary``. ``batch``: see
    ``_close``."""
    return _close(
        conversation,
        actor,
        Outcome.HANDED_OFF,
        ConversationEvent.Kind.HANDED_OFF,
        batch,
        handoff_queue=queue or DEFAULT_HANDOFF_QUEUE,
        handoff_summary=summary,
    )


@transaction.atomic
def conversation_requeue(*, actor=None, conversation: Conversation, queue: str) -> bool:
    """Move a handed-off conversation to ``queue``. A flow's hand-off step names a precise queue, but
    its transfer call closed the conversation with the region's default one. Returns whether it moved;
    a conversation not handed off, or already in ``queue``, is left as it is and nothing is written."""
    moved = (
        Conversation.objects.filter(pk=conversation.pk, outcome=Outcome.HANDED_OFF)
        .exclude(handoff_queue=queue)
        .update(handoff_queue=queue, updated=timezone.now())
    )
    if moved:
        conversation.handoff_queue = queue
        _event(conversation, ConversationEvent.Kind.HANDED_OFF, actor, handoff_queue=queue, requeued=True)
    return bool(moved)


def conversation_end(
    *,
    actor=None,
    conversation: Conversation,
    outcome: str = Outcome.RESOLVED,
    batch: WriteBatch | None = None,
) -> Conversation:
    """``batch``: see ``_close``."""
    if outcome not in (Outcome.RESOLVED, Outcome.ABANDONED):
        raise ValidationFailed(
            f"A conversation ends as resolved or abandoned, not {outcome!r}.",
            details={"outcome": [outcome]},
        )
    return _close(conversation, actor, outcome, ConversationEvent.Kind.ENDED, batch)


@transaction.atomic
def conversation_feedback(
    *, actor=None, conversation: Conversation, csat: int, resolved: bool
) -> Conversation:
    """The customer's rating, once per conversation (a second one is a conflict, not an overwrite)."""
    if isinstance(csat, bool) or not isinstance(csat, int) or not 1 <= csat <= 5:
        raise ValidationFailed("csat is a whole number from 1 to 5.", details={"csat": [csat]})
    given = Conversation.objects.filter(pk=conversation.pk, csat__isnull=True).update(
        csat=csat, resolved_by_customer=resolved, updated=timezone.now()
    )
    if not given:
        raise Conflict("Feedback was already given for this conversation.", code="feedback_already_given")
    conversation.csat, conversation.resolved_by_customer = csat, resolved
    _event(conversation, ConversationEvent.Kind.FEEDBACK, actor, csat=csat, resolved=resolved)
    return conversation
