from django.core.management.base import BaseCommand, CommandError

from aftersales.services.access import api_client_create
from config.errors import ValidationFailed


class Command(BaseCommand):
    help = "Create an API client scoped to regions and print its key (shown this once, stored hashed)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="A name for the client, e.g. chatbot-prod.")
        parser.add_argument("--regions", required=True, help="Comma-separated region codes, e.g. US,ID.")
        parser.add_argument(
            "--rate", default="", help="Own throttle rate, e.g. 600/min (default: API_THROTTLE_RATE)."
        )
        parser.add_argument(
            "--may-assert-identity",
            action="store_true",
            help="Trust the client to name an already verified customer.",
        )

    def handle(self, *args, name, regions, rate, may_assert_identity, **options):
        try:
            client, key = api_client_create(
                actor=None,
                name=name,
                region_codes=regions.split(","),
                throttle_rate=rate,
                may_assert_identity=may_assert_identity,
            )
        except ValidationFailed as exc:
            raise CommandError(exc.message) from exc
        region_codes = ",".join(sorted(client.regions.values_list("code", flat=True)))
        self.stderr.write(f"Created API client {client.name!r} ({client.prefix}) for {region_codes}.")
        self.stderr.write("Store the key now: it is not shown again.")
        # The key alone on stdout, so `KEY=$(manage.py create_api_client ...)` works.
        self.stdout.write(key)
