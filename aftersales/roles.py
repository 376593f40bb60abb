"""Staff roles: Django groups whose permissions follow from the declarations below.

The groups are created by a data migration and kept in step with new models by `sync_roles`,
which runs after every `migrate` (see AppConfig.ready): a model added later by any app gets the
permissions its app's declaration implies without a hand-written migration per model.

Each role is a set of rules ``(app_label, models, actions)``; ``models`` is ``"*"`` for every
model of the app or a set of model names (lower case). Custom permissions are named by codename.
"""

from __future__ import annotations

OWN_APPS = ("aftersales", "scenarios", "releases", "monitoring")

# Marketplace data is the order system's, not the back-office's: staff read it, tools change it.
MARKETPLACE_MODELS = {
    "customer",
    "paymentmethod",
    "product",
    "variant",
    "order",
    "orderitem",
    "fulfilment",
    "paymenttransaction",
}
# SOP content that ops author (the review and publish actions are custom permissions below).
SOP_MODELS = {
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
EDIT = ("add", "change", "delete", "view")

ROLES: dict[str, list[tuple[str, str | set[str], tuple[str, ...]]]] = {
    "viewer": [(app, "*", ("view",)) for app in OWN_APPS],
    "ops_editor": [
        *[(app, "*", ("view",)) for app in OWN_APPS],
        ("aftersales", SOP_MODELS, EDIT),
        ("aftersales", {"sopversion"}, ("submit_sopversion",)),
        ("scenarios", "*", EDIT),
    ],
    "sop_reviewer": [
        *[(app, "*", ("view",)) for app in OWN_APPS],
        ("aftersales", {"sopversion"}, ("review_sopversion",)),
    ],
    "release_manager": [
        *[(app, "*", ("view",)) for app in OWN_APPS],
        ("releases", "*", EDIT),
        ("releases", {"release"}, ("approve_release", "rollout_release", "rollback_release")),
        ("aftersales", {"sopversion"}, ("publish_sopversion",)),
    ],
    "qa_auditor": [
        *[(app, "*", ("view",)) for app in OWN_APPS],
        ("monitoring", "*", EDIT),
    ],
}
# Never granted to a role, whatever the wildcard says: machine credentials and staff scoping
# are for administrators (superusers) only.
ADMIN_ONLY_MODELS = {("aftersales", "apiclient"), ("aftersales", "staffprofile")}


def _wanted(permissions, rules):
    wanted = set()
    for perm in permissions:
        app_label, model = perm.content_type.app_label, perm.content_type.model
        if (app_label, model) in ADMIN_ONLY_MODELS:
            continue
        for rule_app, rule_models, actions in rules:
            if rule_app != app_label:
                continue
            if rule_models != "*" and model not in rule_models:
                continue
            if rule_models == "*" and model in MARKETPLACE_MODELS and set(actions) != {"view"}:
                continue
            if perm.codename in actions or any(perm.codename == f"{a}_{model}" for a in actions):
                wanted.add(perm.pk)
    return wanted


def sync_roles(apps=None) -> None:
    """Create the role groups and set each one's permissions exactly to what ROLES implies."""
    if apps is None:
        from django.contrib.auth.models import Group, Permission
    else:
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
    permissions = list(
        Permission.objects.filter(content_type__app_label__in=OWN_APPS).select_related("content_type")
    )
    for role, rules in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(_wanted(permissions, rules))
