"""The role permission matrix, as the groups hold it after migrate.

The expected sets are stated here independently of aftersales.roles (by app and model list), and
computed over the permissions that exist, so a model added later is covered without editing this
file — while the access models that exist today are also pinned by name.
"""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType

from aftersales.models import Region
from aftersales.roles import sync_roles

pytestmark = [pytest.mark.django_db]

OWN_APPS = ("aftersales", "scenarios", "releases", "monitoring")
ROLES = ("viewer", "ops_editor", "sop_reviewer", "release_manager", "qa_auditor")
ACCESS_MODELS = ("apiclient", "staffprofile")
SOP_EDITABLE = {
    "sop",
    "sopversion",
    "sopclause",
    "sopparameter",
    "sopregionaloverride",
    "sopclauseoverride",
    "sopparameteroverride",
    "sopreviewpolicy",
    "sopreviewrequirement",
    "sopconstraint",
}
MARKETPLACE = {
    "customer",
    "paymentmethod",
    "product",
    "variant",
    "order",
    "orderitem",
    "fulfilment",
    "paymenttransaction",
}


def _present():
    """(app, model, codename) of every permission of our apps."""
    return {
        (p.content_type.app_label, p.content_type.model, p.codename)
        for p in Permission.objects.filter(content_type__app_label__in=OWN_APPS).select_related(
            "content_type"
        )
    }


def _crud(present, app, models=None, actions=("add", "change", "delete", "view")):
    return {
        codename
        for a, model, codename in present
        if a == app
        and (models is None or model in models)
        and model not in ACCESS_MODELS
        and codename in {f"{action}_{model}" for action in actions}
    }


def _expected(present):
    view_all = set().union(*(_crud(present, app, actions=("view",)) for app in OWN_APPS))
    custom = {codename for _, _, codename in present}
    return {
        "viewer": view_all,
        "ops_editor": view_all
        | _crud(present, "aftersales", SOP_EDITABLE)
        | _crud(present, "scenarios")
        | ({"submit_sopversion"} & custom),
        "sop_reviewer": view_all | ({"review_sopversion"} & custom),
        "release_manager": view_all
        | _crud(present, "releases")
        | ({"approve_release", "rollout_release", "rollback_release", "publish_sopversion"} & custom),
        "qa_auditor": view_all | _crud(present, "monitoring"),
    }


def _group_codenames(role, *, models=None):
    permissions = Group.objects.get(name=role).permissions.select_related("content_type")
    return {p.codename for p in permissions if models is None or p.content_type.model in models}


def test_roles__after_migrate__each_group_has_exactly_the_declared_permissions():
    expected = _expected(_present())
    assert {role: _group_codenames(role) for role in ROLES} == expected


def test_roles__access_models_today__pinned_by_name():
    models = {"region", "apiclient", "staffprofile"}
    assert {role: _group_codenames(role, models=models) for role in ROLES} == {
        role: {"view_region"} for role in ROLES
    }


def test_roles__sop_version_actions__one_role_each():
    if not ContentType.objects.filter(app_label="aftersales", model="sopversion").exists():
        pytest.skip("no SOP versions yet")
    actions = {"submit_sopversion", "review_sopversion", "publish_sopversion"}
    assert {role: _group_codenames(role) & actions for role in ROLES} == {
        "viewer": set(),
        "ops_editor": {"submit_sopversion"},
        "sop_reviewer": {"review_sopversion"},
        "release_manager": {"publish_sopversion"},
        "qa_auditor": set(),
    }


def test_roles__viewer__only_view_permissions():
    codenames = _group_codenames("viewer")
    every_view = set(
        Permission.objects.filter(
            content_type__app_label__in=["aftersales", "scenarios", "releases", "monitoring"],
            codename__startswith="view_",
        )
        .exclude(content_type__model__in=ACCESS_MODELS)
        .values_list("codename", flat=True)
    )
    assert {"view_region", "view_order", "view_sopversion", "view_scenario", "view_workerprobe"} <= codenames
    assert codenames == every_view


def test_roles__access_models__no_group_has_any_permission():
    holders = Permission.objects.filter(
        content_type__app_label="aftersales", content_type__model__in=ACCESS_MODELS, group__isnull=False
    )
    assert list(holders.values_list("group__name", "codename")) == []


def test_roles__marketplace_models__read_only_for_every_role():
    writes = {
        (role, codename)
        for role in ROLES
        for codename in _group_codenames(role, models=MARKETPLACE)
        if not codename.startswith("view_")
    }
    assert writes == set()


def test_roles__access_models__superuser_only(regions):
    root = User.objects.create_superuser("root", "root@example.com", None)
    editor = User.objects.create_user("ops", is_staff=True)
    editor.groups.set(Group.objects.filter(name__in=ROLES))
    assert root.has_perm("aftersales.change_apiclient") is True
    assert [
        editor.has_perm(f"aftersales.{a}_{m}") for m in ACCESS_MODELS for a in ("add", "change", "view")
    ] == [False] * 6


def _new_model_permissions(app_label, model):
    content_type = ContentType.objects.create(app_label=app_label, model=model)
    return {
        Permission.objects.create(
            content_type=content_type, codename=f"{action}_{model}", name=f"{action} {model}"
        )
        for action in ("add", "change", "delete", "view")
    }


def test_sync_roles__new_models_appear__groups_follow_their_app_declaration():
    # given: models that did not exist at migrate time
    _new_model_permissions("scenarios", "probescenario")
    _new_model_permissions("monitoring", "probemetric")
    _new_model_permissions("aftersales", "probenote")
    # when
    sync_roles()
    # then
    new_models = {"probescenario", "probemetric", "probenote"}
    assert {role: _group_codenames(role, models=new_models) for role in ROLES} == {
        "viewer": {"view_probescenario", "view_probemetric", "view_probenote"},
        "ops_editor": {
            "add_probescenario",
            "change_probescenario",
            "delete_probescenario",
            "view_probescenario",
            "view_probemetric",
            "view_probenote",
        },
        "sop_reviewer": {"view_probescenario", "view_probemetric", "view_probenote"},
        "release_manager": {"view_probescenario", "view_probemetric", "view_probenote"},
        "qa_auditor": {
            "view_probescenario",
            "add_probemetric",
            "change_probemetric",
            "delete_probemetric",
            "view_probemetric",
            "view_probenote",
        },
    }
    assert {role: _group_codenames(role) for role in ROLES} == _expected(_present())


def test_sync_roles__permission_added_by_hand__removed_again():
    # given
    viewer = Group.objects.get(name="viewer")
    viewer.permissions.add(Permission.objects.get(codename="change_region"))
    # when
    sync_roles()
    # then
    assert "change_region" not in _group_codenames("viewer")
    assert _group_codenames("viewer") == _expected(_present())["viewer"]


@pytest.fixture
def viewer_client(client, plain_static_storage):
    user = User.objects.create_user("viewer", is_staff=True)
    user.groups.add(Group.objects.get(name="viewer"))
    client.force_login(user)
    return client


REGION_FORM = {
    "code": "MY",
    "name": "Malaysia",
    "currency": "MYR",
    "time_zone": "Asia/Kuala_Lumpur",
    "language": "ms",
}


def test_admin__viewer__can_read_the_region_changelist(viewer_client, regions):
    response = viewer_client.get("/admin/aftersales/region/")
    assert response.status_code == 200
    assert response.context["cl"].result_count == 3


def test_admin__viewer_posts_an_add__403_and_nothing_created(viewer_client, regions):
    response = viewer_client.post("/admin/aftersales/region/add/", REGION_FORM)
    assert response.status_code == 403
    assert sorted(Region.objects.values_list("code", flat=True)) == ["GB", "ID", "US"]


def test_admin__viewer_posts_a_change__403_and_nothing_changed(viewer_client, regions):
    response = viewer_client.post(
        "/admin/aftersales/region/US/change/", {**REGION_FORM, "code": "US", "name": "USA"}
    )
    assert response.status_code == 403
    assert Region.objects.get(code="US").name == "United States"


def test_admin__viewer_opens_api_clients__403(viewer_client):
    response = viewer_client.get("/admin/aftersales/apiclient/")
    assert response.status_code == 403
