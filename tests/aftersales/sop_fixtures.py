"""Fixtures of the SOP tests (loaded with ``pytest_plugins`` by the test modules that use them):
staff in each role, an SOP with a two-reviewer policy, and helpers that walk a version through
its lifecycle with the real services."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from aftersales.models import StaffProfile
from aftersales.services.sops import (
    sop_clause_set,
    sop_create,
    sop_parameter_set,
    sop_review_requirement_add,
    sop_variant_parameter_set,
    sop_version_edit,
    sop_version_publish,
    sop_version_review,
    sop_version_submit,
)


def make_staff(username: str, role: str | None, regions=None, password: str | None = None):
    """A staff user in ``role`` (a role group), limited to ``regions`` (None: all regions).
    Without a password (tests log in with force_login): hashing one costs a second per user."""
    user = get_user_model().objects.create_user(username=username, password=password, is_staff=True)
    if role:
        user.groups.add(Group.objects.get(name=role))
    profile = StaffProfile.objects.create(user=user, all_regions=regions is None)
    profile.regions.set(regions or [])
    return get_user_model().objects.get(pk=user.pk)  # fresh: no cached permissions


@pytest.fixture
def admin_user_sop(db):
    return get_user_model().objects.create_superuser(username="root", password=None)


@pytest.fixture
def editor(regions):
    return make_staff("eddie", "ops_editor")


@pytest.fixture
def reviewer_a(regions):
    return make_staff("rita", "sop_reviewer")


@pytest.fixture
def reviewer_b(regions):
    return make_staff("lee", "sop_reviewer")


@pytest.fixture
def publisher(regions):
    return make_staff("ravi", "release_manager")


@pytest.fixture
def viewer(regions):
    return make_staff("vera", "viewer")


def fill_return_sop(actor, version, *, window=30):
    sop_clause_set(
        actor=actor, version=version, clause_id="RET-1", title="Eligibility", text="Delivered only."
    )
    sop_clause_set(
        actor=actor, version=version, clause_id="RET-2", title="Refund", text="To the original method."
    )
    sop_parameter_set(
        actor=actor,
        version=version,
        name="return_window_days",
        type="integer",
        value=window,
        unit="days",
        min_value=0,
        max_value=365,
    )
    sop_parameter_set(
        actor=actor, version=version, name="auto_refund_cap", type="decimal", value="50.00", unit="USD"
    )


@pytest.fixture
def return_sop(editor, admin_user_sop):
    """``return-delivered-item`` in US, GB, ID; 2 approvals of sop_reviewer; v1 is a filled draft."""
    sop = sop_create(
        actor=editor,
        key="return-delivered-item",
        title="Return of a delivered item",
        owning_team="CS operations",
        clause_prefix="RET",
        region_codes=["US", "GB", "ID"],
    )
    sop_review_requirement_add(
        actor=admin_user_sop,
        sop=sop,
        label="CS operations",
        group=Group.objects.get(name="sop_reviewer"),
        min_approvals=2,
    )
    version = sop.versions.get()
    fill_return_sop(editor, version)
    sop_variant_parameter_set(
        actor=editor, version=version, region_code="ID", name="auto_refund_cap", value="750000", unit="IDR"
    )
    return sop


def clause_change(editor, clause_id: str, text: str, title: str = "Refund"):
    """A ``change`` for publish_new_version: set one base clause of the draft."""
    return lambda draft: sop_clause_set(
        actor=editor, version=draft, clause_id=clause_id, title=title, text=text
    )


def approve(version, editor, reviewers):
    sop_version_submit(actor=editor, version=version)
    for reviewer in reviewers:
        sop_version_review(actor=reviewer, version=version, decision="approved", comment="ok")
    version.refresh_from_db()
    return version


def publish_new_version(sop, editor, reviewers, publisher, change=None, **publish_kwargs):
    """A new version from the latest one, changed by ``change(draft)``, approved and published."""
    latest = sop.versions.order_by("-number").first()
    draft = latest if latest.is_draft else sop_version_edit(actor=editor, version=latest)
    if change:
        change(draft)
    approve(draft, editor, reviewers)
    sop_version_publish(actor=publisher, version=draft, **publish_kwargs)
    draft.refresh_from_db()
    return draft
