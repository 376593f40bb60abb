from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles_after_migrate(sender, **kwargs):
    if sender.label not in ("aftersales", "scenarios", "releases", "monitoring"):
        return
    # Django itself creates permissions in a post_migrate handler; roles follow right after, so a
    # model added by any later migration is covered by its app's role declaration.
    from aftersales.roles import sync_roles

    sync_roles()


class AftersalesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "aftersales"

    def ready(self):
        # The one signal in the project: permissions only exist after post_migrate.
        post_migrate.connect(_sync_roles_after_migrate, dispatch_uid="aftersales.sync_roles")
