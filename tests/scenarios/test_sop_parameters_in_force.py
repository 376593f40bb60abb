"""The runtime's SOP parameters (one raw statement + a per-process cache) agree with the selector."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from aftersales.models import SopPublication
from aftersales.selectors.sops import sop_parameters
from config.errors import NotFound
from scenarios.sop_parameters import sop_parameters_in_force

pytest.register_assert_rewrite("tests.aftersales.sop_fixtures")
from tests.aftersales.sop_fixtures import fill_return_sop, publish_new_version  # noqa: E402

pytest_plugins = ["tests.aftersales.sop_fixtures"]
KEY = "return-delivered-item"


def test_sop_parameters_in_force__published_with_a_regional_override__same_as_the_selector(
    return_sop, editor, reviewer_a, reviewer_b, publisher
):
    # given v1 published everywhere, ID overriding the refund cap
    publish_new_version(return_sop, editor, [reviewer_a, reviewer_b], publisher)

    # when the runtime asks per region
    # then it answers what the selector answers
    assert sop_parameters_in_force(sop_key=KEY, region_code="ID") == {
        "auto_refund_cap": Decimal("750000"),
        "return_window_days": 30,
    }
    assert sop_parameters_in_force(sop_key=KEY, region_code="US") == {
        "auto_refund_cap": Decimal("50.00"),
        "return_window_days": 30,
    }
    for region in ("US", "GB", "ID"):
        assert sop_parameters_in_force(sop_key=KEY, region_code=region) == sop_parameters(
            sop_key=KEY, region_code=region
        )


def test_sop_parameters_in_force__newer_version_published__next_call_sees_it(
    return_sop, editor, reviewer_a, reviewer_b, publisher
):
    # given v1 in force and read once (cached)
    publish_new_version(return_sop, editor, [reviewer_a, reviewer_b], publisher)
    assert sop_parameters_in_force(sop_key=KEY, region_code="GB")["return_window_days"] == 30

    # when v2 (window 14) is published
    publish_new_version(
        return_sop,
        editor,
        [reviewer_a, reviewer_b],
        publisher,
        change=lambda d: fill_return_sop(editor, d, window=14),
    )

    # then the very next call answers from v2
    assert sop_parameters_in_force(sop_key=KEY, region_code="GB")["return_window_days"] == 14


def test_sop_parameters_in_force__only_a_future_publication__not_published(
    return_sop, editor, reviewer_a, reviewer_b, publisher
):
    # given v1 published to take effect tomorrow
    publish_new_version(
        return_sop,
        editor,
        [reviewer_a, reviewer_b],
        publisher,
        effective_at=timezone.now() + timedelta(days=1),
    )

    # when the runtime asks now
    with pytest.raises(NotFound) as error:
        sop_parameters_in_force(sop_key=KEY, region_code="US")

    # then nothing is in force yet, as for the selector
    assert (error.value.code, error.value.details) == ("sop_not_published", {"sop": KEY, "region": "US"})
    with pytest.raises(NotFound):
        sop_parameters(sop_key=KEY, region_code="US")


def test_sop_parameters_in_force__publication_retired__not_published(
    return_sop, editor, reviewer_a, reviewer_b, publisher
):
    # given v1 published, then its US publication retired a second ago
    version = publish_new_version(return_sop, editor, [reviewer_a, reviewer_b], publisher)
    retired = SopPublication.objects.filter(version=version, region_id="US").update(
        status=SopPublication.Status.RETIRED, retired_at=timezone.now() - timedelta(seconds=1)
    )
    assert retired == 1

    # when the runtime asks in US and in GB
    # then US has nothing in force, GB still has v1
    with pytest.raises(NotFound):
        sop_parameters_in_force(sop_key=KEY, region_code="US")
    assert sop_parameters_in_force(sop_key=KEY, region_code="GB")["return_window_days"] == 30
