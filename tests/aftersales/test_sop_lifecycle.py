from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils import timezone

from aftersales.models import SopClause, SopPublication, SopSignOff, SopVersion, SopVersionEvent
from aftersales.selectors.sops import (
    sop_parameters,
    sop_resolved,
    sop_version_review_progress,
    sop_versions_awaiting_review,
)
from aftersales.services.sops import (
    sop_clause_set,
    sop_constraint_create,
    sop_create,
    sop_parameter_set,
    sop_publications_activate_due,
    sop_review_requirement_add,
    sop_variant_clause_set,
    sop_variant_parameter_set,
    sop_version_edit,
    sop_version_publish,
    sop_version_review,
    sop_version_submit,
)
from config.errors import Conflict, Forbidden, InvalidTransition, NotFound, RuleViolation, ValidationFailed

pytest.register_assert_rewrite("tests.aftersales.sop_fixtures")
from tests.aftersales.sop_fixtures import (  # noqa: E402
    approve,
    clause_change,
    fill_return_sop,
    make_staff,
    publish_new_version,
)

pytest_plugins = ["tests.aftersales.sop_fixtures"]


def _events(version):
    return list(SopVersionEvent.objects.filter(version=version).values_list("from_status", "to_status"))


def test_sop_version_submit__draft_by_editor__in_review_with_hash_due_date_and_event(return_sop, editor):
    version = return_sop.versions.get()

    sop_version_submit(actor=editor, version=version, comment="ready")

    version.refresh_from_db()
    assert version.status == "in_review"
    assert len(version.content_hash) == 64
    assert version.review_due_at == version.submitted_at + timedelta(days=5)
    assert _events(version) == [("", "draft"), ("draft", "in_review")]
    assert SopVersionEvent.objects.filter(version=version).last().comment == "ready"


def test_sop_version_submit__by_reviewer__forbidden_and_still_draft(return_sop, reviewer_a):
    version = return_sop.versions.get()

    with pytest.raises(Forbidden):
        sop_version_submit(actor=reviewer_a, version=version)

    version.refresh_from_db()
    assert version.status == "draft"
    assert _events(version) == [("", "draft")]


def test_sop_version_submit__no_clauses__refused(editor, admin_user_sop):
    sop = sop_create(
        actor=admin_user_sop,
        key="empty",
        title="Empty",
        owning_team="ops",
        clause_prefix="EMP",
        region_codes=["US"],
    )
    version = sop.versions.get()

    with pytest.raises(RuleViolation) as error:
        sop_version_submit(actor=admin_user_sop, version=version)

    assert error.value.code == "sop_version_empty"
    assert SopVersion.objects.get(pk=version.pk).status == "draft"


def test_sop_version_review__author_approves__forbidden_no_sign_off(return_sop, editor):
    version = return_sop.versions.get()
    sop_version_submit(actor=editor, version=version)
    editor.groups.add(Group.objects.get(name="sop_reviewer"))
    editor = type(editor).objects.get(pk=editor.pk)

    with pytest.raises(Forbidden) as error:
        sop_version_review(actor=editor, version=version, decision="approved")

    assert error.value.code == "author_cannot_review"
    assert SopSignOff.objects.count() == 0
    assert SopVersion.objects.get(pk=version.pk).status == "in_review"


def test_sop_version_review__editor_without_review_permission__forbidden(return_sop, editor, admin_user_sop):
    version = return_sop.versions.get()
    sop_version_submit(actor=editor, version=version)
    other_editor = make_staff("otto", "ops_editor")

    with pytest.raises(Forbidden):
        sop_version_review(actor=other_editor, version=version, decision="approved")

    assert SopSignOff.objects.count() == 0


def test_sop_version_review__one_of_two_approvals__stays_in_review(return_sop, editor, reviewer_a):
    version = return_sop.versions.get()
    sop_version_submit(actor=editor, version=version)

    sop_version_review(actor=reviewer_a, version=version, decision="approved")

    progress = sop_version_review_progress(SopVersion.objects.get(pk=version.pk))
    assert SopVersion.objects.get(pk=version.pk).status == "in_review"
    assert [(r.label, r.needed, r.approvers) for r in progress.requirements] == [
        ("CS operations", 2, ["rita"])
    ]


def test_sop_version_review__two_approvals__approved_with_event(return_sop, editor, reviewer_a, reviewer_b):
    version = return_sop.versions.get()

    approve(version, editor, [reviewer_a, reviewer_b])

    assert version.status == "approved"
    assert _events(version)[-1] == ("in_review", "approved")
    assert list(version.sign_offs.values_list("reviewer__username", "content_hash")) == [
        ("rita", version.content_hash),
        ("lee", version.content_hash),
    ]


def test_sop_version_review__changes_requested__blocks_approval_until_replaced(
    return_sop, editor, reviewer_a, reviewer_b
):
    version = return_sop.versions.get()
    sop_version_submit(actor=editor, version=version)
    sop_version_review(
        actor=reviewer_a, version=version, decision="changes_requested", comment="cap too high"
    )

    sop_version_review(actor=reviewer_b, version=version, decision="approved")

    assert SopVersion.objects.get(pk=version.pk).status == "in_review"
    sop_version_review(actor=reviewer_a, version=version, decision="approved", comment="fine after all")
    assert SopVersion.objects.get(pk=version.pk).status == "approved"
    assert (
        version.sign_offs.filter(voided_at__isnull=False).get().void_reason == "replaced by a later decision"
    )


def test_sop_version_review__changes_requested_without_comment__invalid(return_sop, editor, reviewer_a):
    version = return_sop.versions.get()
    sop_version_submit(actor=editor, version=version)

    with pytest.raises(ValidationFailed):
        sop_version_review(actor=reviewer_a, version=version, decision="changes_requested", comment=" ")

    assert SopSignOff.objects.count() == 0


def test_sop_version_review__content_changed_behind_the_services__conflict_and_sign_off_void(
    return_sop, editor, reviewer_a, reviewer_b
):
    version = return_sop.versions.get()
    sop_version_submit(actor=editor, version=version)
    sop_version_review(actor=reviewer_a, version=version, decision="approved")
    SopClause.objects.filter(version=version, clause_id="RET-1").update(text="Anything goes.")

    with pytest.raises(Conflict) as error:
        sop_version_review(actor=reviewer_b, version=version, decision="approved")

    assert error.value.code == "sop_content_changed"
    assert SopVersion.objects.get(pk=version.pk).status == "in_review"
    assert version.sign_offs.count() == 1


def test_sop_version_review__seen_hash_is_stale__conflict(return_sop, editor, reviewer_a):
    version = return_sop.versions.get()
    sop_version_submit(actor=editor, version=version)

    with pytest.raises(Conflict):
        sop_version_review(actor=reviewer_a, version=version, decision="approved", seen_hash="0" * 64)

    assert SopSignOff.objects.count() == 0


def test_sop_clause_set__version_in_review__immutable(return_sop, editor):
    version = return_sop.versions.get()
    sop_version_submit(actor=editor, version=version)

    with pytest.raises(InvalidTransition) as error:
        sop_clause_set(actor=editor, version=version, clause_id="RET-1", title="Eligibility", text="Changed.")

    assert error.value.code == "sop_version_immutable"
    assert version.clauses.get(clause_id="RET-1").text == "Delivered only."


def test_sop_version_edit__in_review_with_sign_off__new_draft_old_retired_sign_offs_void(
    return_sop, editor, reviewer_a
):
    version = return_sop.versions.get()
    sop_version_submit(actor=editor, version=version)
    sop_version_review(actor=reviewer_a, version=version, decision="approved")

    draft = sop_version_edit(actor=editor, version=version)

    version.refresh_from_db()
    assert (draft.number, draft.status, draft.based_on_id) == (2, "draft", version.pk)
    assert version.status == "retired"
    assert version.sign_offs.get().void_reason == "superseded by v2"
    assert list(draft.clauses.values_list("clause_id", "text")) == [
        ("RET-1", "Delivered only."),
        ("RET-2", "To the original method."),
    ]
    assert draft.regional_overrides.get().parameters.get().value == "750000"
    assert draft.content_hash == version.content_hash


def test_sop_version_edit__second_draft__conflict(return_sop, editor, reviewer_a, reviewer_b, publisher):
    published = publish_new_version(return_sop, editor, [reviewer_a, reviewer_b], publisher)
    sop_version_edit(actor=editor, version=published)

    with pytest.raises(Conflict) as error:
        sop_version_edit(actor=editor, version=published)

    assert error.value.code == "sop_draft_exists"
    assert return_sop.versions.count() == 2


def test_sop_variant_parameter_set__outside_staff_regions__region_forbidden(return_sop, regions):
    editor_gb = make_staff("gina", "ops_editor", regions=[regions["GB"]])
    version = return_sop.versions.get()

    with pytest.raises(Forbidden) as error:
        sop_variant_parameter_set(
            actor=editor_gb, version=version, region_code="ID", name="return_window_days", value=7
        )

    assert error.value.code == "region_forbidden"
    assert (
        not version.regional_overrides.get(region_id="ID")
        .parameters.filter(name="return_window_days")
        .exists()
    )


def test_sop_variant_parameter_set__out_of_range__invalid(return_sop, editor):
    version = return_sop.versions.get()

    with pytest.raises(ValidationFailed) as error:
        sop_variant_parameter_set(
            actor=editor, version=version, region_code="GB", name="return_window_days", value=400
        )

    assert error.value.details == {"value": ["400 is above the allowed maximum 365.00."]}
    assert not version.regional_overrides.filter(region_id="GB").exists()


def test_sop_version_publish__approved__published_in_every_region_with_event(
    return_sop, editor, reviewer_a, reviewer_b, publisher
):
    version = approve(return_sop.versions.get(), editor, [reviewer_a, reviewer_b])

    sop_version_publish(actor=publisher, version=version)

    version.refresh_from_db()
    assert version.status == "published"
    assert sorted(version.publications.values_list("region_id", "status")) == [
        ("GB", "published"),
        ("ID", "published"),
        ("US", "published"),
    ]
    assert _events(version)[-1] == ("approved", "published")


def test_sop_version_publish__next_version__previous_retired_in_same_transaction(
    return_sop, editor, reviewer_a, reviewer_b, publisher
):
    first = publish_new_version(return_sop, editor, [reviewer_a, reviewer_b], publisher)

    second = publish_new_version(
        return_sop,
        editor,
        [reviewer_a, reviewer_b],
        publisher,
        change=clause_change(editor, "RET-2", "Any.", title="Refund"),
    )

    first.refresh_from_db()
    assert (first.status, second.status) == ("retired", "published")
    assert SopPublication.objects.filter(status="published").count() == 3
    assert set(SopPublication.objects.filter(status="published").values_list("version_id", flat=True)) == {
        second.pk
    }
    assert _events(first)[-1] == ("published", "retired")


def test_sop_version_publish__in_review__invalid_transition_nothing_published(return_sop, editor, publisher):
    version = return_sop.versions.get()
    sop_version_submit(actor=editor, version=version)

    with pytest.raises(InvalidTransition):
        sop_version_publish(actor=publisher, version=version)

    assert SopPublication.objects.count() == 0


def test_sop_version_publish__by_editor__forbidden(return_sop, editor, reviewer_a, reviewer_b):
    version = approve(return_sop.versions.get(), editor, [reviewer_a, reviewer_b])

    with pytest.raises(Forbidden):
        sop_version_publish(actor=editor, version=version)

    assert SopVersion.objects.get(pk=version.pk).status == "approved"
    assert SopPublication.objects.count() == 0


def test_soppublication_constraint__second_published_row_for_sop_and_region__integrity_error(
    return_sop, editor, reviewer_a, reviewer_b, publisher
):
    version = publish_new_version(return_sop, editor, [reviewer_a, reviewer_b], publisher)

    with pytest.raises(IntegrityError), transaction.atomic():
        SopPublication.objects.create(
            sop=return_sop, version=version, region_id="US", status="published", effective_at=timezone.now()
        )

    assert SopPublication.objects.filter(region_id="US", status="published").count() == 1


def test_sop_version_publish__scheduled__effective_only_when_beat_runs_after_the_time(
    return_sop, editor, reviewer_a, reviewer_b, publisher
):
    first = publish_new_version(return_sop, editor, [reviewer_a, reviewer_b], publisher)
    when = timezone.now() + timedelta(hours=2)
    second = publish_new_version(
        return_sop,
        editor,
        [reviewer_a, reviewer_b],
        publisher,
        change=lambda d: sop_parameter_set(
            actor=editor, version=d, name="return_window_days", type="integer", value=45, unit="days"
        ),
        effective_at=when,
        region_codes=["US"],
    )
    assert second.status == "approved"
    assert sop_resolved(sop_key="return-delivered-item", region_code="US").version_number == 1

    assert sop_publications_activate_due(now=when - timedelta(minutes=1)) == 0
    assert sop_publications_activate_due(now=when + timedelta(seconds=1)) == 1

    second.refresh_from_db()
    first.refresh_from_db()
    assert (first.status, second.status) == ("published", "published")  # first still in force in GB and ID
    assert sorted(first.publications.values_list("region_id", "status")) == [
        ("GB", "published"),
        ("ID", "published"),
        ("US", "retired"),
    ]
    assert (
        sop_resolved(
            sop_key="return-delivered-item", region_code="US", at=when + timedelta(minutes=1)
        ).parameters["return_window_days"]["value"]
        == 45
    )
    assert sop_publications_activate_due(now=when + timedelta(seconds=2)) == 0


def test_sop_version_publish__declared_constraint_violated__refused_with_reason(
    return_sop, editor, reviewer_a, reviewer_b, publisher, admin_user_sop
):
    publish_new_version(return_sop, editor, [reviewer_a, reviewer_b], publisher)
    exchange = sop_create(
        actor=admin_user_sop,
        key="exchange",
        title="Exchange",
        owning_team="ops",
        clause_prefix="EXC",
        region_codes=["US", "GB", "ID"],
    )
    sop_review_requirement_add(
        actor=admin_user_sop,
        sop=exchange,
        label="ops",
        group=Group.objects.get(name="sop_reviewer"),
        min_approvals=1,
    )
    sop_constraint_create(
        actor=admin_user_sop,
        name="exchange within return",
        left_sop=exchange,
        left_parameter="exchange_window_days",
        operator="lte",
        right_sop=return_sop,
        right_parameter="return_window_days",
    )
    draft = exchange.versions.get()
    draft.author = editor
    draft.save(update_fields=["author"])
    sop_clause_set(actor=editor, version=draft, clause_id="EXC-1", title="Window", text="Within the window.")
    sop_parameter_set(
        actor=editor, version=draft, name="exchange_window_days", type="integer", value=30, unit="days"
    )
    sop_variant_parameter_set(
        actor=editor, version=draft, region_code="GB", name="exchange_window_days", value=60
    )
    approve(draft, editor, [reviewer_a])

    with pytest.raises(RuleViolation) as error:
        sop_version_publish(actor=publisher, version=draft)

    assert error.value.code == "sop_constraint_violated"
    assert error.value.details == {
        "violations": [
            {
                "constraint": "exchange within return",
                "region": "GB",
                "left": "exchange.exchange_window_days = 60 days",
                "right": "return-delivered-item.return_window_days = 30 days",
                "reason": "60 ≤ 30 does not hold",
            }
        ]
    }
    assert SopVersion.objects.get(pk=draft.pk).status == "approved"
    assert not SopPublication.objects.filter(sop=exchange).exists()


def test_sop_resolved__two_regions__base_plus_each_regions_overrides(
    return_sop, editor, reviewer_a, reviewer_b, publisher
):
    version = return_sop.versions.get()
    sop_variant_clause_set(
        actor=editor, version=version, region_code="ID", clause_id="RET-2", text="To a wallet."
    )
    publish_new_version(return_sop, editor, [reviewer_a, reviewer_b], publisher)

    us = sop_resolved(sop_key="return-delivered-item", region_code="US")
    id_ = sop_resolved(sop_key="return-delivered-item", region_code="ID")

    assert us.parameters["auto_refund_cap"] == {"value": "50.00", "type": "decimal", "unit": "USD"}
    assert id_.parameters["auto_refund_cap"] == {"value": "750000", "type": "decimal", "unit": "IDR"}
    assert us.clauses[1] == {"id": "RET-2", "title": "Refund", "text": "To the original method."}
    assert id_.clauses[1] == {"id": "RET-2", "title": "Refund", "text": "To a wallet."}
    assert us.content_hash != id_.content_hash
    assert (us.version_number, us.version_id) == (1, version.pk)
    assert sop_parameters(sop_key="return-delivered-item", region_code="ID") == {
        "auto_refund_cap": Decimal("750000"),
        "return_window_days": 30,
    }


def test_sop_resolved__at_a_past_instant__the_version_then_in_force(
    return_sop, editor, reviewer_a, reviewer_b, publisher
):
    publish_new_version(return_sop, editor, [reviewer_a, reviewer_b], publisher)
    between = timezone.now()
    publish_new_version(
        return_sop,
        editor,
        [reviewer_a, reviewer_b],
        publisher,
        change=lambda d: fill_return_sop(editor, d, window=14),
    )

    assert sop_resolved(sop_key="return-delivered-item", region_code="GB", at=between).version_number == 1
    assert sop_resolved(sop_key="return-delivered-item", region_code="GB").version_number == 2
    assert sop_parameters(sop_key="return-delivered-item", region_code="GB")["return_window_days"] == 14


def test_sop_resolved__nothing_published__not_found_sop_not_published(return_sop):
    with pytest.raises(NotFound) as error:
        sop_resolved(sop_key="return-delivered-item", region_code="US")

    assert error.value.code == "sop_not_published"
    assert error.value.details == {"sop": "return-delivered-item", "region": "US"}


def test_sop_review_progress__regional_owner_requirement__one_per_changed_region(
    return_sop, editor, reviewer_a, regions, admin_user_sop
):
    sop_review_requirement_add(
        actor=admin_user_sop,
        sop=return_sop,
        label="Regional owner",
        group=Group.objects.get(name="sop_reviewer"),
        per_changed_region=True,
    )
    owner_gb = make_staff("gwen", "sop_reviewer", regions=[regions["GB"]])
    version = return_sop.versions.get()
    sop_version_submit(actor=editor, version=version)

    sop_version_review(actor=owner_gb, version=version, decision="approved")

    progress = sop_version_review_progress(SopVersion.objects.get(pk=version.pk))
    assert [(r.label, r.approvers, r.satisfied) for r in progress.requirements] == [
        ("CS operations", ["gwen"], False),
        ("Regional owner (ID)", [], False),
    ]
    assert list(sop_versions_awaiting_review(reviewer_a)) == [version]
    assert list(sop_versions_awaiting_review(owner_gb)) == []
    assert list(sop_versions_awaiting_review(editor)) == []


def test_activate_scheduled_sop_publications_task__due_publication__published_and_on_the_beat(
    return_sop, editor, reviewer_a, reviewer_b, publisher, settings
):
    from aftersales.tasks import activate_scheduled_sop_publications

    version = approve(return_sop.versions.get(), editor, [reviewer_a, reviewer_b])
    sop_version_publish(actor=publisher, version=version, effective_at=timezone.now() + timedelta(seconds=1))
    SopPublication.objects.update(effective_at=timezone.now() - timedelta(seconds=1))

    assert activate_scheduled_sop_publications.run() == 3

    assert SopVersion.objects.get(pk=version.pk).status == "published"
    assert settings.CELERY_BEAT_SCHEDULE["activate-scheduled-sop-publications"]["task"] == (
        "aftersales.tasks.activate_scheduled_sop_publications"
    )
