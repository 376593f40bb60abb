"""Reads of SOPs: the resolved SOP in force in a region, review progress, the review queue."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Prefetch, Q
from django.utils import timezone

from aftersales.models import Sop, SopPublication, SopSignOff, SopVersion
from aftersales.selectors.access import staff_region_codes
from aftersales.sops.content import changed_regions, resolve, resolved_hash, version_content
from aftersales.sops.params import parameter_value_python
from config.errors import NotFound

CONTENT_PREFETCH = (
    "clauses",
    "parameters",
    "regional_overrides__clauses",
    "regional_overrides__parameters",
)


@dataclass(frozen=True)
class ResolvedSop:
    key: str
    title: str
    region_code: str
    version_number: int
    version_id: int
    effective_at: datetime
    content_hash: str
    clauses: list[dict]  # [{id, title, text}]
    parameters: dict[str, dict]  # name → {value, type, unit}
    owning_team: str = ""


def _publications_in_force(at: datetime | None):
    """Publications in force at ``at`` (now by default), retired ones included for past instants.

    Time-based rather than status-based so that a scheduled version counts from its effective time
    even before the beat task has flipped its status.
    """
    at = at or timezone.now()
    return SopPublication.objects.filter(effective_at__lte=at).filter(
        Q(retired_at__isnull=True) | Q(retired_at__gt=at)
    )


def sop_version_in_force(*, sop_key: str, region_code: str) -> tuple[int, str] | None:
    """(version id, content hash) of the SOP's version in force now in the region, or None: one
    indexed read, for callers that keep resolutions of immutable versions themselves."""
    return (
        _publications_in_force(None)
        .filter(sop__key=sop_key, region_id=region_code)
        .order_by("-effective_at", "-pk")
        .values_list("version_id", "version__content_hash")
        .first()
    )


def _resolved(publication: SopPublication) -> ResolvedSop:
    version = publication.version
    resolved = resolve(version_content(version), publication.region_id)
    return ResolvedSop(
        key=version.sop.key,
        title=version.sop.title,
        owning_team=version.sop.owning_team,
        region_code=publication.region_id,
        version_number=version.number,
        version_id=version.pk,
        effective_at=publication.effective_at,
        content_hash=resolved_hash(resolved),
        clauses=[{k: c[k] for k in ("id", "title", "text")} for c in resolved["clauses"]],
        parameters={
            name: {k: p[k] for k in ("value", "type", "unit")} for name, p in resolved["parameters"].items()
        },
    )


def _latest_per_sop(publications) -> list[SopPublication]:
    # Ordered newest first: the first seen per SOP is the one in force (a scheduled version that
    # became effective before the beat retired its predecessor wins over it).
    latest: dict[int, SopPublication] = {}
    for publication in publications.order_by("-effective_at", "-pk"):
        latest.setdefault(publication.sop_id, publication)
    return sorted(latest.values(), key=lambda p: p.version.sop.key)


def sop_resolved(*, sop_key: str, region_code: str, at: datetime | None = None) -> ResolvedSop:
    """The published version of ``sop_key`` in force in ``region_code`` at ``at`` (base + variant)."""
    publications = _publications_in_force(at).filter(sop__key=sop_key, region_id=region_code)
    found = _latest_per_sop(
        publications.select_related("version__sop").prefetch_related(
            *(f"version__{p}" for p in CONTENT_PREFETCH)
        )
    )
    if not found:
        raise NotFound(
            f"SOP {sop_key} has no published version in {region_code}.",
            code="sop_not_published",
            details={"sop": sop_key, "region": region_code},
        )
    return _resolved(found[0])


def sops_resolved_for_region(*, region_code: str, at: datetime | None = None) -> list[ResolvedSop]:
    """Every SOP published and in force in the region, by key."""
    publications = (
        _publications_in_force(at)
        .filter(region_id=region_code)
        .select_related("version__sop")
        .prefetch_related(*(f"version__{p}" for p in CONTENT_PREFETCH))
    )
    return [_resolved(p) for p in _latest_per_sop(publications)]


def sop_parameters(*, sop_key: str, region_code: str) -> dict:
    """The resolved parameter values in force now, as Python values (Decimal, timedelta, ...)."""
    resolved = sop_resolved(sop_key=sop_key, region_code=region_code)
    return {
        name: parameter_value_python(p["type"], p["value"], p["unit"])
        for name, p in resolved.parameters.items()
    }


def sop_version_with_content(version_id: int) -> SopVersion:
    return (
        SopVersion.objects.select_related("sop", "based_on", "author")
        .prefetch_related(*CONTENT_PREFETCH)
        .get(pk=version_id)
    )


def sop_version_resolved(version: SopVersion, region_code: str | None) -> dict:
    return resolve(version_content(version), region_code)


def sop_version_changed_regions(version: SopVersion) -> list[str]:
    previous = version_content(version.based_on) if version.based_on_id else None
    return changed_regions(version_content(version), previous)


def sop_live_publications(sop: Sop) -> dict[str, SopPublication]:
    """Region code → the publication in force now."""
    publications = _publications_in_force(None).filter(sop=sop).select_related("version__sop")
    latest: dict[str, SopPublication] = {}
    for publication in publications.order_by("-effective_at", "-pk"):
        latest.setdefault(publication.region_id, publication)
    return latest


# --- review -------------------------------------------------------------------------------------


@dataclass
class RequirementProgress:
    label: str
    region: str | None
    needed: int
    group_id: int
    approvers: list[str] = field(default_factory=list)

    @property
    def satisfied(self) -> bool:
        return len(self.approvers) >= self.needed


@dataclass
class ReviewProgress:
    requirements: list[RequirementProgress]
    changes_requested_by: list[str]

    @property
    def complete(self) -> bool:
        return not self.changes_requested_by and all(r.satisfied for r in self.requirements)


def _eligible(user, group_ids: set[int], requirement: RequirementProgress) -> bool:
    if requirement.group_id not in group_ids:
        return False
    if requirement.region is None:
        return True
    codes = staff_region_codes(user)
    return codes is None or requirement.region in codes


def sop_version_live_sign_offs(version: SopVersion):
    """Sign-offs that still count: not voided and on the content the version has now."""
    return version.sign_offs.filter(voided_at__isnull=True, content_hash=version.content_hash).select_related(
        "reviewer"
    )


def sop_version_review_progress(version: SopVersion) -> ReviewProgress:
    requirements: list[RequirementProgress] = []
    policy = getattr(version.sop, "review_policy", None)
    regions = sop_version_changed_regions(version)
    for requirement in policy.requirements.all() if policy else []:
        for region in regions if requirement.per_changed_region else [None]:
            requirements.append(
                RequirementProgress(
                    label=requirement.label if region is None else f"{requirement.label} ({region})",
                    region=region,
                    needed=requirement.min_approvals,
                    group_id=requirement.group_id,
                )
            )
    changes_requested_by = []
    for sign_off in sop_version_live_sign_offs(version):
        reviewer = sign_off.reviewer
        if sign_off.decision == SopSignOff.Decision.CHANGES_REQUESTED:
            changes_requested_by.append(reviewer.get_username())
            continue
        group_ids = set(reviewer.groups.values_list("id", flat=True))
        for progress in requirements:
            if _eligible(reviewer, group_ids, progress):
                progress.approvers.append(reviewer.get_username())
    return ReviewProgress(requirements=requirements, changes_requested_by=changes_requested_by)


def sop_versions_awaiting_review(user):
    """Versions in review that ``user`` could sign off and has not: the reviewer's queue."""
    in_review = SopVersion.objects.filter(status=SopVersion.Status.IN_REVIEW).exclude(author=user)
    if not user.has_perm("aftersales.review_sopversion"):
        return in_review.none()
    group_ids = set(user.groups.values_list("id", flat=True))
    already = set(
        SopSignOff.objects.filter(reviewer=user, voided_at__isnull=True).values_list("version_id", flat=True)
    )
    wanted = []
    for version in in_review.select_related("sop__review_policy").prefetch_related(
        Prefetch("sop__review_policy__requirements")
    ):
        if version.pk in already:
            continue
        progress = sop_version_review_progress(version)
        if any(not r.satisfied and _eligible(user, group_ids, r) for r in progress.requirements):
            wanted.append(version.pk)
    return SopVersion.objects.filter(pk__in=wanted)
