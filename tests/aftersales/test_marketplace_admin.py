"""The marketplace admin: searchable, read-only, and a constant number of queries per changelist."""

import copy

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftersales.marketplace.io import marketplace_export, marketplace_load

from .conftest import MUG_LARGE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("plain_static_storage")]

CHANGELISTS = ["order", "customer", "product", "variant"]


@pytest.fixture
def superuser_client(client):
    client.force_login(User.objects.create_superuser("root", "root@example.com", None))
    return client


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("model", CHANGELISTS)
def test_marketplace_changelist__more_rows__same_number_of_queries(
    superuser_client, marketplace_document, model
):
    # given the small marketplace, and the same with 20 more customers, orders, products and variants
    url = f"/admin/aftersales/{model}/"
    marketplace_load(path_or_data=copy.deepcopy(marketplace_document), region_codes=[])
    small = _queries(superuser_client, url)
    bigger = copy.deepcopy(marketplace_document)
    for index in range(20):
        user_id = f"extra_{index}"
        bigger["users"][user_id] = {
            **copy.deepcopy(bigger["users"]["bob_ray_2"]),
            "user_id": user_id,
            "payment_methods": {f"paypal_x{index}": {"source": "paypal", "id": f"paypal_x{index}"}},
            "orders": [f"#X{index}"],
        }
        order = copy.deepcopy(bigger["orders"]["#W4"])
        order.update(order_id=f"#X{index}", user_id=user_id, items=[copy.deepcopy(MUG_LARGE)] * 2)
        bigger["orders"][order["order_id"]] = order
        variant = {"item_id": f"X{index}", "options": {"size": "L"}, "available": True, "price": 1.0}
        bigger["products"][f"PX{index}"] = {
            "name": f"Extra {index}",
            "product_id": f"PX{index}",
            "variants": {variant["item_id"]: variant},
        }
    marketplace_load(path_or_data=bigger, region_codes=[])

    # when the changelist is shown again
    # then it costs the same number of queries (no query per row)
    assert _queries(superuser_client, url) == small


def test_order_admin__search_by_customer_email__only_their_orders(superuser_client, small_marketplace):
    response = superuser_client.get("/admin/aftersales/order/", {"q": "bob.ray@example.com"})
    assert response.status_code == 200
    assert sorted(order.order_id for order in response.context["cl"].result_list) == ["#W6", "#W8"]


def test_order_admin__search_by_last_name_and_filter_status__matching_orders(
    superuser_client, small_marketplace
):
    response = superuser_client.get("/admin/aftersales/order/", {"q": "Lee", "status__exact": "pending"})
    assert sorted(order.order_id for order in response.context["cl"].result_list) == ["#W1", "#W2", "#W7"]


def test_order_admin__change_page__items_payments_and_fulfilments_shown_read_only(
    superuser_client, small_marketplace
):
    # when the page of a delivered order is opened
    response = superuser_client.get("/admin/aftersales/order/%23W3/change/")

    # then its items, payments and fulfilment are on it, with nothing to save
    content = response.content.decode()
    assert response.status_code == 200
    assert [formset.formset.prefix for formset in response.context["inline_admin_formsets"]] == [
        "items",
        "payment_history",
        "fulfilments",
    ]
    assert "TRK3" in content
    assert 'name="_save"' not in content


def test_order_admin__post_change__forbidden_and_nothing_changed(superuser_client, small_marketplace):
    before = marketplace_export()
    response = superuser_client.post("/admin/aftersales/order/%23W1/change/", {"status": "cancelled"})
    assert response.status_code == 403
    assert marketplace_export() == before


def test_customer_admin__change_page__orders_and_payment_methods_inline(superuser_client, small_marketplace):
    response = superuser_client.get("/admin/aftersales/customer/ann_lee_1/change/")
    assert response.status_code == 200
    assert [formset.formset.prefix for formset in response.context["inline_admin_formsets"]] == [
        "payment_methods",
        "orders",
    ]
    assert "gift_card_1" in response.content.decode()
