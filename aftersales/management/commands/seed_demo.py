from django.core.management.base import BaseCommand

from aftersales.demo import regions_seed_demo, staff_seed_demo


class Command(BaseCommand):
    help = "Load the demo installation (regions, staff in every role, marketplace, SOPs, scenarios). Idempotent."

    def handle(self, *args, **options):
        regions = regions_seed_demo()
        users = staff_seed_demo()
        self.stdout.write(f"regions: {', '.join(regions)}; staff users: {', '.join(users)}")
        self.stdout.write(self.style.SUCCESS("demo data ready"))
