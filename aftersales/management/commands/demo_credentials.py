import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from aftersales.demo import DEMO_ADMIN, DEMO_STAFF
from aftersales.models import ApiClient, Region

DEMO_CLIENT = "demo-chatbot"


class Command(BaseCommand):
    help = (
        "Give the demo users a fresh password and the demo chatbot a fresh API key, and print them. "
        "Keys are stored hashed, so they can only be shown when made: each run rotates them, revoking "
        "the previous demo key (one live demo client, never duplicates)."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        User = get_user_model()
        usernames = [DEMO_ADMIN, *DEMO_STAFF]
        users = list(User.objects.filter(username__in=usernames))
        if len(users) != len(usernames):
            raise CommandError("The demo users do not exist yet: run `manage.py seed_demo` first.")
        password = secrets.token_urlsafe(12)
        for user in users:
            user.set_password(password)
            user.save(update_fields=["password"])
        ApiClient.objects.filter(name=DEMO_CLIENT, revoked=False).update(revoked=True)
        client, key = ApiClient.objects.create_key(name=DEMO_CLIENT)
        client.regions.set(Region.objects.all())
        lines = [
            "",
            "Redress demo — http://127.0.0.1:8000/admin/",
            f"  admin user:     {DEMO_ADMIN} / {password}",
            f"  staff users:    {', '.join(DEMO_STAFF)} (same password; one per role)",
            f"  API key:        {key}",
            f"  try:            curl -H 'Authorization: Api-Key {key}' http://127.0.0.1:8000/api/v1/health/",
            "",
        ]
        self.stdout.write("\n".join(lines))
