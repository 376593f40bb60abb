from django.core.management.base import BaseCommand

from aftersales.demo import DEMO_ADMIN, regions_seed_demo, staff_seed_demo
from aftersales.marketplace.demo import marketplace_seed_demo
from aftersales.sops.demo import sops_seed_demo
from scenarios.demo import scenarios_seed_demo
from scenarios.flows.demo import flows_seed_demo
from scenarios.scenario_tests_demo import scenario_tests_seed_demo


class Command(BaseCommand):
    help = (
        "Load the demo installation (regions, staff in every role, marketplace, SOPs, scenarios). Idempotent."
    )

    def handle(self, *args, **options):
        regions = regions_seed_demo()
        users = staff_seed_demo()
        self.stdout.write(f"regions: {', '.join(regions)}; staff users: {', '.join(users)}")
        loaded = marketplace_seed_demo()
        self.stdout.write(
            f"marketplace: {loaded}" if loaded else "marketplace: already loaded, left as it is"
        )
        sops = sops_seed_demo(actor=users[DEMO_ADMIN])
        self.stdout.write(f"SOPs: {', '.join(sops)}" if sops else "SOPs: already seeded, left as they are")
        scenarios = scenarios_seed_demo(actor=users[DEMO_ADMIN])
        self.stdout.write(f"scenarios: {scenarios}")
        flows = flows_seed_demo(actor=users[DEMO_ADMIN])
        self.stdout.write(f"flows released: {', '.join(flows)}" if flows else "flows: already released")
        cases = scenario_tests_seed_demo(actor=users[DEMO_ADMIN])
        self.stdout.write(f"scenario test cases: {cases}")
        self.stdout.write(self.style.SUCCESS("demo data ready"))
