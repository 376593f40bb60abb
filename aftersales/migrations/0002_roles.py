"""Create the staff role groups. Their permissions are kept in step after every migrate by
aftersales.roles.sync_roles (models added later are covered by their app's declaration)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def create_roles(apps, schema_editor):
    from aftersales.roles import sync_roles

    # Permissions are normally created after the whole migrate run; make them now so the groups
    # start with the permissions of the models that exist at this point.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    sync_roles(apps)


def drop_roles(apps, schema_editor):
    from aftersales.roles import ROLES

    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("aftersales", "0001_regions_and_access"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, drop_roles)]
