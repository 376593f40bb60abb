"""Demo SOP content: the reference store's policy (τ²-retail, MIT) as a structured SOP set, and our
own SOPs for package not received, damaged item, wrong item and late-delivery compensation, with
regional variants, history (superseded versions) and versions waiting in review.

Everything goes through the real services, so the demo's history is made of real events and
sign-offs. Idempotent: an SOP whose key exists is left as it is.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from aftersales.models import Sop, SopConstraint
from aftersales.services.sops import (
    sop_clause_set,
    sop_constraint_create,
    sop_create,
    sop_parameter_set,
    sop_review_requirement_add,
    sop_variant_clause_set,
    sop_variant_parameter_set,
    sop_version_edit,
    sop_version_publish,
    sop_version_review,
    sop_version_submit,
)
from aftersales.sops.demo_content import ALL_REGIONS, POLICY_PATH, own_specs, policy_sections, policy_specs


def _apply(version, editor, spec: dict) -> None:
    for number, (title, text) in enumerate(spec.get("clauses", []), start=1):
        sop_clause_set(
            actor=editor,
            version=version,
            clause_id=f"{spec['prefix']}-{number}",
            title=title,
            text=text,
            position=number * 10,
        )
    for param in spec.get("params", []):
        if isinstance(param, dict):
            sop_parameter_set(actor=editor, version=version, **param)
    for region, variant in spec.get("variants", {}).items():
        note = variant.get("note")
        for name, (value, unit) in variant.get("params", {}).items():
            sop_variant_parameter_set(
                actor=editor,
                version=version,
                region_code=region,
                name=name,
                value=value,
                unit=unit,
                note=note,
            )
        for clause_id, text in variant.get("clauses", {}).items():
            sop_variant_clause_set(
                actor=editor, version=version, region_code=region, clause_id=clause_id, text=text, note=note
            )


def _revise(version, editor, revision: dict) -> None:
    """A revision changes parameter values by name (keeping type and range) and variants."""
    for name, value in revision.get("params", {}).items():
        base = version.parameters.get(name=name)
        sop_parameter_set(
            actor=editor,
            version=version,
            name=name,
            type=base.type,
            value=value,
            unit=base.unit,
            min_value=base.min_value,
            max_value=base.max_value,
            choices=base.choices,
            description=base.description,
        )
    _apply(version, editor, {"prefix": "", "variants": revision.get("variants", {})})


def _review(version, editor, reviewers, release, state: str) -> None:
    sop_version_submit(actor=editor, version=version, comment="Ready for review.")
    if state == "in_review":
        sop_version_review(actor=reviewers[0], version=version, decision="approved", comment="Looks right.")
        return
    for reviewer in reviewers:
        sop_version_review(actor=reviewer, version=version, decision="approved", comment="Approved.")
    if state == "published":
        sop_version_publish(actor=release, version=version, comment="Demo rollout.")


def _demo_staff():
    User = get_user_model()
    names = ["editor", "reviewer", "legal", "release"]
    if User.objects.filter(username__in=names).count() < len(names):
        from aftersales.demo import staff_seed_demo

        staff_seed_demo()
    return [User.objects.get(username=name) for name in names]


def _seed_one(spec: dict, *, actor, editor, reviewers, release) -> bool:
    if Sop.objects.filter(key=spec["key"]).exists():
        return False
    sop = sop_create(
        actor=editor,
        key=spec["key"],
        title=spec["title"],
        owning_team=spec["team"],
        clause_prefix=spec["prefix"],
        region_codes=ALL_REGIONS,
    )
    reviewer_group = Group.objects.get(name="sop_reviewer")
    sop_review_requirement_add(
        actor=actor, sop=sop, label="CS operations and legal", group=reviewer_group, min_approvals=2
    )
    sop_review_requirement_add(
        actor=actor,
        sop=sop,
        label="Regional owner",
        group=reviewer_group,
        min_approvals=1,
        per_changed_region=True,
    )
    version = sop.versions.get()
    _apply(version, editor, spec)
    _review(version, editor, reviewers, release, "published")
    for revision in spec.get("revisions", []):
        version = sop_version_edit(actor=editor, version=version, change_summary=revision["summary"])
        _revise(version, editor, revision)
        _review(version, editor, reviewers, release, revision["state"])
    return True


@transaction.atomic
def sops_seed_demo(*, actor) -> list[str]:
    """Create the demo SOPs that do not exist yet; returns the keys created."""
    sections = policy_sections(POLICY_PATH.read_text(encoding="utf-8"))
    editor, reviewer, legal, release = _demo_staff()
    created = [
        spec["key"]
        for spec in [*policy_specs(sections), *own_specs()]
        if _seed_one(spec, actor=actor, editor=editor, reviewers=[reviewer, legal], release=release)
    ]
    if not SopConstraint.objects.filter(name="exchange window within return window").exists():
        sop_constraint_create(
            actor=actor,
            name="exchange window within return window",
            left_sop=Sop.objects.get(key="exchange-delivered-item"),
            left_parameter="exchange_window_days",
            operator=SopConstraint.Operator.LTE,
            right_sop=Sop.objects.get(key="return-delivered-item"),
            right_parameter="return_window_days",
            description="A customer may not exchange an item they could no longer return.",
        )
    return created
