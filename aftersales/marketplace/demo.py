"""The marketplace step of the demo installation (called by `seed_demo`)."""

from __future__ import annotations

from pathlib import Path

from aftersales.models import Customer, Order, Product, Region

from .io import SHIPPED_DB_JSON, LoadSummary, marketplace_load


def marketplace_seed_demo(*, path: Path = SHIPPED_DB_JSON) -> LoadSummary | None:
    """Load the shipped τ²-retail file over every region, once: a marketplace already holding data (the
    demo's or a real one) is left alone, so running the demo seed twice changes nothing."""
    if Product.objects.exists() or Customer.objects.exists() or Order.objects.exists():
        return None
    codes = list(Region.objects.values_list("code", flat=True))
    return marketplace_load(path_or_data=path, region_codes=codes)
