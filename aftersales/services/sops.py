"""Writes on SOPs: content of drafts, the version lifecycle, review sign-offs and publishing.

Lifecycle ``draft → in_review → approved → published → retired``. Content is written only while a
version is a draft; editing a version that left draft creates a new draft copied from it (and a
superseded version still in review is retired, its sign-offs voided). Every status change is a
guarded conditional UPDATE plus a SopVersionEvent row.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from aftersales.models import (
    Region,
    Sop,
    SopClause,
    SopClauseOverride,
    SopConstraint,
    SopParameter,
    SopParameterOverride,
    SopPublication,
    SopRegionalOverride,
    SopReviewPolicy,
    SopReviewRequirement,
    SopSignOff,
    SopVersion,
    SopVersionEvent,
)
from aftersales.selectors.access import staff_region_codes
from aftersales.selectors.sops import sop_version_review_progress, sop_version_with_content
from aftersales.sops.consistency import ResolvedParameters, constraint_violations, constraints_touching
from aftersales.sops.content import content_hash, version_content
from config.errors import Conflict, Forbidden, InvalidTransition, NotFound, RuleViolation, ValidationFailed

Status = SopVersion.Status


# --- guards ---------------------------------------------------------------------------------------


def _require_perm(actor, perm: str) -> None:
    if not actor.has_perm(f"aftersales.{perm}"):
        raise Forbidden(f"{actor} lacks the permission {perm}.", code="permission_denied")


def _require_region_scope(actor, region_codes) -> None:
    allowed = staff_region_codes(actor)
    outside = sorted(set(region_codes) - allowed) if allowed is not None else []
    if outside:
        raise Forbidden(
            f"{actor} may not act in {', '.join(outside)}.",
            code="region_forbidden",
            details={"regions": outside},
        )


def _full_clean(obj) -> None:
    try:
        obj.full_clean()
    except ValidationError as exc:
        details = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        message = "; ".join(f"{field}: {' '.join(errors)}" for field, errors in details.items())
        raise ValidationFailed(message, details=details) from exc


def _locked_draft(actor, version: SopVersion) -> SopVersion:
    """The version row, locked, if it is still a draft: a version that left draft never changes."""
    _require_perm(actor, "change_sopversion")
    locked = SopVersion.objects.select_for_update().select_related("sop").get(pk=version.pk)
    if locked.status != Status.DRAFT:
        raise InvalidTransition(
            f"{locked} is {locked.status}: only a draft can be edited; edit creates a new draft.",
            code="sop_version_immutable",
        )
    return locked


def _event(version: SopVersion, actor, from_status: str, to_status: str, comment: str = "") -> None:
    SopVersionEvent.objects.create(
        version=version, actor=actor, from_status=from_status, to_status=to_status, comment=comment
    )


def _transition(version: SopVersion, actor, src, dst: str, comment: str = "", **fields) -> None:
    """Guarded status change: only from ``src`` (one status or several); 0 rows → InvalidTransition."""
    sources = (src,) if isinstance(src, str) else tuple(src)
    current = SopVersion.objects.filter(pk=version.pk).values_list("status", flat=True).first()
    updated = SopVersion.objects.filter(pk=version.pk, status__in=sources).update(status=dst, **fields)
    if not updated:
        raise InvalidTransition(
            f"{version.sop.key} v{version.number} is {current}, not {' or '.join(sources)}.",
            details={"status": current, "expected": list(sources), "target": dst},
        )
    _event(version, actor, current, dst, comment)
    version.status = dst
    for name, value in fields.items():
        setattr(version, name, value)


def _store_hash(version: SopVersion) -> str:
    fresh = sop_version_with_content(version.pk)
    version.content_hash = content_hash(version_content(fresh).as_dict())
    SopVersion.objects.filter(pk=version.pk).update(content_hash=version.content_hash)
    return version.content_hash


# --- SOPs, policies, constraints -------------------------------------------------------------------


@transaction.atomic
def sop_create(
    *, actor, key: str, title: str, owning_team: str, clause_prefix: str, region_codes, description: str = ""
) -> Sop:
    """A new SOP with its (empty) review policy and an empty draft v1."""
    _require_perm(actor, "add_sop")
    sop = Sop(
        key=key, title=title, owning_team=owning_team, clause_prefix=clause_prefix, description=description
    )
    _full_clean(sop)
    sop.save()
    regions = list(Region.objects.filter(code__in=region_codes))
    if len(regions) != len(set(region_codes)):
        raise ValidationFailed("Unknown region code.", details={"regions": sorted(region_codes)})
    sop.regions.set(regions)
    SopReviewPolicy.objects.create(sop=sop)
    version = SopVersion(sop=sop, number=1, author=actor, change_summary="First version.")
    _full_clean(version)
    version.save()
    _event(version, actor, "", Status.DRAFT, "created")
    _store_hash(version)
    return sop


@transaction.atomic
def sop_review_requirement_add(
    *, actor, sop: Sop, label: str, group, min_approvals: int = 1, per_changed_region: bool = False
) -> SopReviewRequirement:
    _require_perm(actor, "add_sopreviewrequirement")
    policy, _ = SopReviewPolicy.objects.get_or_create(sop=sop)
    requirement = SopReviewRequirement(
        policy=policy,
        label=label,
        group=group,
        min_approvals=min_approvals,
        per_changed_region=per_changed_region,
    )
    _full_clean(requirement)
    requirement.save()
    return requirement


@transaction.atomic
def sop_constraint_create(
    *,
    actor,
    name: str,
    left_sop: Sop,
    left_parameter: str,
    operator: str,
    right_sop: Sop,
    right_parameter: str,
    description: str = "",
) -> SopConstraint:
    _require_perm(actor, "add_sopconstraint")
    constraint = SopConstraint(
        name=name,
        left_sop=left_sop,
        left_parameter=left_parameter,
        operator=operator,
        right_sop=right_sop,
        right_parameter=right_parameter,
        description=description,
    )
    _full_clean(constraint)
    constraint.save()
    return constraint


# --- drafts and their content ----------------------------------------------------------------------


def _copy_content(source: SopVersion, target: SopVersion) -> None:
    for clause in source.clauses.all():
        SopClause.objects.create(
            version=target,
            clause_id=clause.clause_id,
            position=clause.position,
            title=clause.title,
            text=clause.text,
        )
    for parameter in source.parameters.all():
        parameter.pk = None
        parameter.version = target
        parameter.save()
    for override in source.regional_overrides.all():
        copy = SopRegionalOverride.objects.create(
            version=target, region_id=override.region_id, note=override.note
        )
        for clause in override.clauses.all():
            SopClauseOverride.objects.create(
                override=copy, clause_id=clause.clause_id, title=clause.title, text=clause.text
            )
        for parameter in override.parameters.all():
            SopParameterOverride.objects.create(
                override=copy, name=parameter.name, value=parameter.value, unit=parameter.unit
            )


def _void_sign_offs(version: SopVersion, reason: str) -> int:
    return SopSignOff.objects.filter(version=version, voided_at__isnull=True).update(
        voided_at=timezone.now(), void_reason=reason
    )


@transaction.atomic
def sop_version_edit(*, actor, version: SopVersion, change_summary: str = "") -> SopVersion:
    """The draft to edit ``version`` in: itself if it is a draft, else a new draft copied from it.

    A superseded version that was still in review or approved (never published) is retired and its
    sign-offs are voided: they approved content that is no longer the candidate.
    """
    _require_perm(actor, "change_sopversion")
    sop = Sop.objects.select_for_update().get(pk=version.sop_id)
    version = SopVersion.objects.get(pk=version.pk)
    if version.status == Status.DRAFT:
        return version
    existing = SopVersion.objects.filter(sop=sop, status=Status.DRAFT).first()
    if existing is not None:
        raise Conflict(
            f"{sop.key} already has a draft (v{existing.number}); edit that one.",
            code="sop_draft_exists",
            details={"draft_version_id": existing.pk},
        )
    number = (sop.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    draft = SopVersion(
        sop=sop,
        number=number,
        based_on=version,
        author=actor,
        change_summary=change_summary or f"Edit of v{version.number}.",
    )
    _full_clean(draft)
    draft.save()
    _copy_content(version, draft)
    _event(draft, actor, "", Status.DRAFT, f"copied from v{version.number}")
    if version.status in (Status.IN_REVIEW, Status.APPROVED):
        _void_sign_offs(version, f"superseded by v{number}")
        _transition(
            version,
            actor,
            (Status.IN_REVIEW, Status.APPROVED),
            Status.RETIRED,
            f"superseded by v{number}",
            retired_at=timezone.now(),
        )
    _store_hash(draft)
    return draft


def _write_draft_row(actor, version, model, key: dict, values: dict, *, region_code=None, note=None):
    """Create or update one content row of a draft (a base row, or with ``region_code`` a row of
    that region's variant), then refresh the version's hash. The caller's transaction holds the lock."""
    version = _locked_draft(actor, version)
    if region_code is None:
        key = {"version": version, **key}
    else:
        _require_region_scope(actor, [region_code])
        key = {"override": _variant(version, region_code, note), **key}
    row = model.objects.filter(**key).first() or model(**key)
    for name, value in values.items():
        setattr(row, name, value)
    _full_clean(row)
    row.save()
    _store_hash(version)
    return row


@transaction.atomic
def sop_clause_set(
    *, actor, version: SopVersion, clause_id: str, title: str, text: str, position: int | None = None
) -> SopClause:
    """Add or change a base clause of a draft; a new clause goes last unless ``position`` is given."""
    values = {"title": title, "text": text}
    existing = SopClause.objects.filter(version=version, clause_id=clause_id).first()
    if position is not None or existing is None:
        last = SopClause.objects.filter(version=version).aggregate(p=Max("position"))["p"] or 0
        values["position"] = position if position is not None else last + 10
    return _write_draft_row(actor, version, SopClause, {"clause_id": clause_id}, values)


@transaction.atomic
def sop_clause_remove(*, actor, version: SopVersion, clause_id: str) -> None:
    version = _locked_draft(actor, version)
    SopClauseOverride.objects.filter(override__version=version, clause_id=clause_id).delete()
    deleted, _ = SopClause.objects.filter(version=version, clause_id=clause_id).delete()
    if not deleted:
        raise NotFound(f"{version} has no clause {clause_id}.")
    _store_hash(version)


@transaction.atomic
def sop_parameter_set(
    *,
    actor,
    version: SopVersion,
    name: str,
    type: str,
    value,
    unit: str = "",
    min_value=None,
    max_value=None,
    choices=(),
    description: str = "",
) -> SopParameter:
    """Add or change a base parameter of a draft (its type, range and default value)."""
    values = {
        "type": type,
        "value": value,
        "unit": unit,
        "min_value": min_value,
        "max_value": max_value,
        "choices": list(choices),
        "description": description,
    }
    return _write_draft_row(actor, version, SopParameter, {"name": name}, values)


def _variant(version: SopVersion, region_code: str, note: str | None) -> SopRegionalOverride:
    override, _ = SopRegionalOverride.objects.get_or_create(version=version, region_id=region_code)
    if note is not None and override.note != note:
        override.note = note
        override.save(update_fields=["note"])
    return override


@transaction.atomic
def sop_variant_clause_set(
    *, actor, version: SopVersion, region_code: str, clause_id: str, text: str, title: str = "", note=None
) -> SopClauseOverride:
    """Override one clause for one region in a draft."""
    return _write_draft_row(
        actor,
        version,
        SopClauseOverride,
        {"clause_id": clause_id},
        {"title": title, "text": text},
        region_code=region_code,
        note=note,
    )


@transaction.atomic
def sop_variant_parameter_set(
    *, actor, version: SopVersion, region_code: str, name: str, value, unit: str = "", note=None
) -> SopParameterOverride:
    """Override one parameter value (and, for money, its currency) for one region in a draft."""
    return _write_draft_row(
        actor,
        version,
        SopParameterOverride,
        {"name": name},
        {"value": value, "unit": unit},
        region_code=region_code,
        note=note,
    )


@transaction.atomic
def sop_version_content_changed(*, actor, version: SopVersion) -> str:
    """After the admin saved inline rows of a draft: re-check it is a draft and refresh the hash."""
    return _store_hash(_locked_draft(actor, version))


# --- lifecycle ------------------------------------------------------------------------------------


@transaction.atomic
def sop_version_submit(*, actor, version: SopVersion, comment: str = "") -> SopVersion:
    _require_perm(actor, "submit_sopversion")
    version = _locked_draft(actor, version)
    if not version.clauses.exists():
        raise RuleViolation("A version without clauses cannot be reviewed.", code="sop_version_empty")
    for parameter in version.parameters.all():
        _full_clean(parameter)
    for override in SopParameterOverride.objects.filter(override__version=version).select_related("override"):
        _full_clean(override)
    _store_hash(version)
    policy = getattr(version.sop, "review_policy", None)
    now = timezone.now()
    _transition(
        version,
        actor,
        Status.DRAFT,
        Status.IN_REVIEW,
        comment,
        submitted_at=now,
        review_due_at=now + timedelta(days=policy.due_days if policy else 5),
    )
    return version


@transaction.atomic
def sop_version_review(
    *, actor, version: SopVersion, decision: str, comment: str = "", seen_hash: str | None = None
) -> SopSignOff:
    """Record a reviewer's decision on the content they saw (``seen_hash``, default: the current one).

    Approval by the last required reviewer moves the version to ``approved``.
    """
    _require_perm(actor, "review_sopversion")
    version = SopVersion.objects.select_for_update().select_related("sop").get(pk=version.pk)
    if version.status != Status.IN_REVIEW:
        raise InvalidTransition(f"{version} is not in review.", details={"status": version.status})
    if version.author_id == actor.pk:
        raise Forbidden("The author cannot review their own version.", code="author_cannot_review")
    if decision not in SopSignOff.Decision.values:
        raise ValidationFailed(f"Unknown decision {decision!r}.", details={"decision": [decision]})
    if decision == SopSignOff.Decision.CHANGES_REQUESTED and not comment.strip():
        raise ValidationFailed("Say what should change.", details={"comment": ["required"]})
    current = content_hash(version_content(sop_version_with_content(version.pk)).as_dict())
    if current != version.content_hash or (seen_hash and seen_hash != current):
        raise Conflict(
            "The content changed since it was shown; review it again.",
            code="sop_content_changed",
            details={"content_hash": current},
        )
    _void_sign_offs_of(version, actor)
    sign_off = SopSignOff(
        version=version, reviewer=actor, decision=decision, comment=comment, content_hash=current
    )
    _full_clean(sign_off)
    sign_off.save()
    if decision == SopSignOff.Decision.APPROVED and sop_version_review_progress(version).complete:
        _transition(
            version,
            actor,
            Status.IN_REVIEW,
            Status.APPROVED,
            "all required sign-offs",
            approved_at=timezone.now(),
        )
    return sign_off


def _void_sign_offs_of(version: SopVersion, reviewer) -> None:
    SopSignOff.objects.filter(version=version, reviewer=reviewer, voided_at__isnull=True).update(
        voided_at=timezone.now(), void_reason="replaced by a later decision"
    )


def _retire_if_unpublished(version_ids, actor, successor: SopVersion, region: str, at: datetime) -> None:
    for version in SopVersion.objects.filter(pk__in=version_ids, status=Status.PUBLISHED).select_related(
        "sop"
    ):
        still_live = version.publications.filter(status=SopPublication.Status.PUBLISHED).exists()
        if not still_live:
            comment = f"superseded by v{successor.number} in {region}"
            _transition(version, actor, Status.PUBLISHED, Status.RETIRED, comment, retired_at=at)


def _make_effective(sop: Sop, version: SopVersion, regions, actor, effective_at: datetime) -> None:
    """Retire what is in force and put ``version`` in force, region by region, in one transaction.
    The caller holds the SOP row lock."""
    for region in regions:
        previous = list(
            SopPublication.objects.filter(sop=sop, region_id=region, status=SopPublication.Status.PUBLISHED)
        )
        SopPublication.objects.filter(pk__in=[p.pk for p in previous]).update(
            status=SopPublication.Status.RETIRED, retired_at=effective_at
        )
        scheduled = SopPublication.objects.filter(
            sop=sop, region_id=region, version=version, status=SopPublication.Status.SCHEDULED
        )
        if not scheduled.update(status=SopPublication.Status.PUBLISHED):
            SopPublication.objects.create(
                sop=sop,
                version=version,
                region_id=region,
                status=SopPublication.Status.PUBLISHED,
                effective_at=effective_at,
                published_by=actor,
            )
        _retire_if_unpublished(
            [p.version_id for p in previous if p.version_id != version.pk],
            actor,
            version,
            region,
            effective_at,
        )
    comment = f"in force in {', '.join(regions)} from {effective_at.isoformat()}"
    if version.status == Status.APPROVED:
        _transition(version, actor, Status.APPROVED, Status.PUBLISHED, comment, published_at=effective_at)
    else:
        _event(version, actor, version.status, version.status, comment)


@transaction.atomic
def sop_version_publish(
    *, actor, version: SopVersion, effective_at: datetime | None = None, region_codes=None, comment: str = ""
) -> list[SopPublication]:
    """Publish an approved version in ``region_codes`` (default: every region of the SOP), now or at
    ``effective_at``. Refused while a declared constraint would be violated."""
    _require_perm(actor, "publish_sopversion")
    now = timezone.now()
    # Two publishes of one SOP serialise on this lock: the second sees the first's publication and
    # retires it; the partial unique constraint stays the last line of defence.
    sop = Sop.objects.select_for_update().get(pk=version.sop_id)
    version = SopVersion.objects.select_related("sop").get(pk=version.pk)
    if version.status not in (Status.APPROVED, Status.PUBLISHED):
        raise InvalidTransition(
            f"{version} is {version.status}: only an approved version can be published.",
            details={"status": version.status},
        )
    scope = set(sop.regions.values_list("code", flat=True))
    regions = sorted(set(region_codes) if region_codes else scope)
    if not set(regions) <= scope:
        raise ValidationFailed(
            f"{sop.key} does not apply in {', '.join(sorted(set(regions) - scope))}.",
            details={"regions": sorted(set(regions) - scope)},
        )
    _require_region_scope(actor, regions)
    violations = constraint_violations(
        constraints_touching(sop.pk), ResolvedParameters(version, regions), regions
    )
    if violations:
        raise RuleViolation(
            "Publishing would violate: "
            + "; ".join(f"{v.constraint} in {v.region}: {v.reason}" for v in violations),
            code="sop_constraint_violated",
            details={"violations": [v.as_dict() for v in violations]},
        )
    effective_at = effective_at or now
    try:
        with transaction.atomic():
            if effective_at > now:
                SopPublication.objects.filter(
                    sop=sop, region_id__in=regions, status=SopPublication.Status.SCHEDULED
                ).update(status=SopPublication.Status.RETIRED, retired_at=now)
                for region in regions:
                    SopPublication.objects.create(
                        sop=sop,
                        version=version,
                        region_id=region,
                        status=SopPublication.Status.SCHEDULED,
                        effective_at=effective_at,
                        published_by=actor,
                    )
                _event(
                    version,
                    actor,
                    version.status,
                    version.status,
                    f"scheduled in {', '.join(regions)} for {effective_at.isoformat()}. {comment}".strip(),
                )
            else:
                _make_effective(sop, version, regions, actor, effective_at)
    except IntegrityError as exc:
        raise Conflict(
            "Another publish of this SOP won the race; retry.", code="sop_publish_conflict"
        ) from exc
    return list(
        SopPublication.objects.filter(version=version, region_id__in=regions).exclude(
            status=SopPublication.Status.RETIRED
        )
    )


def sop_publications_activate_due(*, now: datetime | None = None) -> int:
    """Put scheduled publications whose time has come in force (the beat task). Idempotent: a
    publication is claimed by its status under the SOP lock, so a second run finds nothing."""
    now = now or timezone.now()
    due = SopPublication.objects.filter(status=SopPublication.Status.SCHEDULED, effective_at__lte=now)
    activated = 0
    for publication_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            publication = SopPublication.objects.filter(pk=publication_id).first()
            sop = Sop.objects.select_for_update().get(pk=publication.sop_id)
            publication = SopPublication.objects.select_related("version__sop", "published_by").get(
                pk=publication_id
            )
            if publication.status != SopPublication.Status.SCHEDULED:
                continue
            _make_effective(
                sop,
                publication.version,
                [publication.region_id],
                publication.published_by,
                publication.effective_at,
            )
            activated += 1
    return activated
