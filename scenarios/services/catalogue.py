from django.db import transaction

from scenarios.models import Scenario


@transaction.atomic
def scenario_upsert(*, actor, key: str, name: str, description: str, region_codes=None) -> Scenario:
    """Create the scenario `key` or bring its name/description up to date (idempotent)."""
    scenario = Scenario.objects.select_for_update().filter(key=key).first()
    if scenario is None:
        scenario = Scenario(key=key, name=name, description=description)
        scenario.full_clean()
        scenario.save()
    elif (scenario.name, scenario.description) != (name, description):
        scenario.name, scenario.description = name, description
        scenario.full_clean()
        scenario.save(update_fields=["name", "description", "updated"])
    if region_codes is not None:
        scenario.regions.set(region_codes)
    return scenario
