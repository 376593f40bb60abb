import time

from django.core.management.base import BaseCommand, CommandError

from aftersales.marketplace.io import marketplace_load
from aftersales.models import Region
from config.errors import ValidationFailed


class Command(BaseCommand):
    help = "Replace the reference marketplace with a τ²-retail db.json (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The JSON file, e.g. aftersales/data/tau2-retail/db.json.")
        parser.add_argument(
            "--regions",
            default=None,
            help="Comma-separated region codes customers are spread over (default: every existing region; "
            "an empty value leaves them without a region).",
        )

    def handle(self, *args, path, regions, **options):
        if regions is None:
            codes = list(Region.objects.values_list("code", flat=True))
        else:
            codes = [code.strip() for code in regions.split(",") if code.strip()]
        started = time.perf_counter()
        try:
            summary = marketplace_load(path_or_data=path, region_codes=codes)
        except ValidationFailed as exc:
            raise CommandError(f"Nothing loaded: {exc.message}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {summary.products} products ({summary.variants} variants), "
                f"{summary.customers} customers ({summary.payment_methods} payment methods), "
                f"{summary.orders} orders over "
                f"{','.join(sorted(codes)) or 'no region'} in {time.perf_counter() - started:.1f}s."
            )
        )
