"""Two publishes racing on PostgreSQL: exactly one version stays published per region."""

import threading

import pytest
from django.db import connection, connections

from aftersales.models import SopPublication, SopVersion
from aftersales.services.sops import sop_version_edit, sop_version_publish

pytest.register_assert_rewrite("tests.aftersales.sop_fixtures")
from tests.aftersales.sop_fixtures import approve, publish_new_version  # noqa: E402

pytest_plugins = ["tests.aftersales.sop_fixtures"]


def _race(publisher, versions):
    barrier = threading.Barrier(len(versions))
    errors = []

    def publish(version):
        try:
            barrier.wait(timeout=10)
            sop_version_publish(actor=publisher, version=version)
        except Exception as exc:  # the assertion below shows what went wrong
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=publish, args=(v,)) for v in versions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sop_version_publish__two_versions_concurrently__exactly_one_published_per_region(
    return_sop, editor, reviewer_a, reviewer_b, publisher
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent transactions need PostgreSQL")
    first = publish_new_version(return_sop, editor, [reviewer_a, reviewer_b], publisher)
    second = approve(sop_version_edit(actor=editor, version=first), editor, [reviewer_a, reviewer_b])
    third = approve(sop_version_edit(actor=editor, version=first), editor, [reviewer_a, reviewer_b])

    errors = _race(publisher, [second, third])

    assert errors == []
    statuses = dict(SopVersion.objects.filter(sop=return_sop).values_list("number", "status"))
    assert statuses[1] == "retired"
    assert sorted([statuses[2], statuses[3]]) == ["published", "retired"]
    winner = SopVersion.objects.get(sop=return_sop, status="published")
    published = SopPublication.objects.filter(sop=return_sop, status="published")
    assert sorted(published.values_list("region_id", "version_id")) == [
        ("GB", winner.pk),
        ("ID", winner.pk),
        ("US", winner.pk),
    ]
