import copy
import io
import json
import zlib
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftersales.marketplace.io import (
    customer_details,
    marketplace_export,
    marketplace_load,
    order_details,
    region_for,
)
from aftersales.models import Customer, Order, OrderItem, PaymentMethod, PaymentTransaction, Product, Variant
from config.errors import ValidationFailed

from .conftest import SHIPPED_DB_JSON


def test_marketplace_load__shipped_file__export_equals_input(db, regions, shipped_document):
    # given the shipped τ²-retail file
    # when it is loaded and exported again
    summary = marketplace_load(path_or_data=SHIPPED_DB_JSON, region_codes=["US", "GB", "ID"])
    exported = marketplace_export()

    # then the export is the same JSON object, list orders included
    assert exported == shipped_document
    assert (
        summary.products,
        summary.variants,
        summary.customers,
        summary.payment_methods,
        summary.orders,
    ) == (
        50,
        591,
        500,
        695,
        1000,
    )
    assert (OrderItem.objects.count(), PaymentTransaction.objects.count()) == (2978, 1102)
    assert set(Customer.objects.values_list("region_id", flat=True)) == {"US", "GB", "ID"}


def test_load_and_export_commands__shipped_file__round_trip_is_lossless(
    db, regions, shipped_document, tmp_path
):
    # given the shipped file loaded by the command, over every existing region (the default)
    out = io.StringIO()
    call_command("load_marketplace", str(SHIPPED_DB_JSON), stdout=out)

    # when the export command writes it out
    target = tmp_path / "export.json"
    call_command("export_marketplace", str(target), stderr=io.StringIO())

    # then the file holds the same JSON object
    assert json.loads(target.read_text(encoding="utf-8")) == shipped_document
    assert (
        "Loaded 50 products (591 variants), 500 customers (695 payment methods), 1000 orders over GB,ID,US"
        in (out.getvalue())
    )


def test_marketplace_load__small_document_with_quirks__export_equals_input(db, marketplace_document):
    # given a document with optional keys, an unlisted order, a foreign payment method id, a duplicate item
    # when loaded and exported
    marketplace_load(path_or_data=copy.deepcopy(marketplace_document), region_codes=[])

    # then it comes back equal, and key order is kept too
    exported = marketplace_export()
    assert exported == marketplace_document
    assert list(exported["users"]["ann_lee_1"]["orders"]) == ["#W3", "#W1", "#W2", "#W4", "#W5", "#W7"]
    assert list(exported["orders"]) == list(marketplace_document["orders"])
    assert list(exported["users"]["ann_lee_1"]["payment_methods"]["credit_card_1"]) == [
        "source",
        "id",
        "brand",
        "last_four",
    ]
    assert "cancel_reason" not in exported["orders"]["#W1"]
    assert exported["orders"]["#W8"]["cancel_reason"] == "ordered by mistake"
    assert Order.objects.get(pk="#W8").customer_position is None


def test_marketplace_load__money__stored_as_two_place_decimals(small_marketplace):
    # given the small marketplace loaded
    # then money is Decimal with two places
    assert Variant.objects.get(pk="2002").price == Decimal("7.25")
    assert PaymentMethod.objects.get(pk="gift_card_1").balance == Decimal("20.00")
    assert str(PaymentMethod.objects.get(pk="gift_card_1").balance) == "20.00"
    assert PaymentMethod.objects.get(pk="paypal_1").balance is None


def test_marketplace_load__regions__assigned_by_crc32_of_user_id(db, regions, marketplace_document):
    # given three regions
    # when the document is loaded over them
    marketplace_load(path_or_data=marketplace_document, region_codes=["US", "ID", "GB"])

    # then each customer and their orders get the region the stable hash picks over the sorted codes
    codes = ["GB", "ID", "US"]
    for user_id in ("ann_lee_1", "bob_ray_2"):
        expected = codes[zlib.crc32(user_id.encode()) % 3]
        assert Customer.objects.get(pk=user_id).region_id == expected
        assert set(Order.objects.filter(customer_id=user_id).values_list("region_id", flat=True)) == {
            expected
        }


def test_region_for__no_codes__none():
    assert region_for("ann_lee_1", []) is None
    assert region_for("ann_lee_1", ["US"]) == "US"
    assert region_for("ann_lee_1", ["US", "GB"]) == region_for("ann_lee_1", ["GB", "US"])


def test_marketplace_load__twice__replaces_everything(small_marketplace):
    # given the small marketplace, when a document with one product and nothing else is loaded
    marketplace_load(
        path_or_data={
            "products": {"P9": {"name": "Lamp", "product_id": "P9", "variants": {}}},
            "users": {},
            "orders": {},
        },
        region_codes=[],
    )

    # then only that remains
    assert marketplace_export() == {
        "products": {"P9": {"name": "Lamp", "product_id": "P9", "variants": {}}},
        "users": {},
        "orders": {},
    }
    assert (Customer.objects.count(), Order.objects.count(), Product.objects.count()) == (0, 0, 1)


def _break(document: dict, change) -> dict:
    broken = copy.deepcopy(document)
    change(broken)
    return broken


BAD_DOCUMENTS = [
    ("not an object", lambda d: d.clear(), "$: missing key(s) products, users, orders"),
    ("missing key", lambda d: d["users"]["ann_lee_1"].pop("email"), "users.ann_lee_1: missing key(s) email"),
    (
        "unknown key",
        lambda d: d["orders"]["#W1"].update(note="x"),
        "orders.#W1: unknown key(s) note",
    ),
    (
        "price as text",
        lambda d: d["products"]["P1"]["variants"]["1001"].update(price="10.00"),
        "products.P1.variants.1001.price: expected a number",
    ),
    (
        "three decimals",
        lambda d: d["orders"]["#W1"]["payment_history"][0].update(amount=25.001),
        "orders.#W1.payment_history[0].amount: expected at most two decimal places",
    ),
    (
        "available as int",
        lambda d: d["products"]["P2"]["variants"]["2001"].update(available=1),
        "products.P2.variants.2001.available: expected true or false",
    ),
    (
        "bad status",
        lambda d: d["orders"]["#W1"].update(status="shipped"),
        "orders.#W1.status: expected one of pending, processed, delivered, cancelled, "
        "pending (item modified), exchange requested, return requested",
    ),
    (
        "gift card without balance",
        lambda d: d["users"]["ann_lee_1"]["payment_methods"]["gift_card_1"].pop("balance"),
        "users.ann_lee_1.payment_methods.gift_card_1: a gift card needs a balance",
    ),
    (
        "id differs from key",
        lambda d: d["products"]["P2"].update(product_id="P3"),
        "products.P2: id 'P3' differs from its key 'P2'",
    ),
    (
        "order of an unknown user",
        lambda d: d["orders"]["#W6"].update(user_id="nobody"),
        "orders.#W6.user_id: unknown user nobody",
    ),
    (
        "order listed twice",
        lambda d: d["users"]["bob_ray_2"]["orders"].append("#W1"),
        "users.bob_ray_2.orders: order #W1 is listed twice",
    ),
    (
        "listed order missing",
        lambda d: d["users"]["bob_ray_2"]["orders"].append("#W99"),
        "users.bob_ray_2.orders: unknown order #W99",
    ),
    (
        "items not a list",
        lambda d: d["orders"]["#W2"].update(items={}),
        "orders.#W2.items: expected a list",
    ),
]


@pytest.mark.parametrize(
    ("change", "message"),
    [(change, message) for _, change, message in BAD_DOCUMENTS],
    ids=[n for n, *_ in BAD_DOCUMENTS],
)
def test_marketplace_load__bad_document__refused_and_nothing_changed(small_marketplace, change, message):
    # given the small marketplace loaded
    before = marketplace_export()

    # when a broken document is loaded
    with pytest.raises(ValidationFailed) as raised:
        marketplace_load(path_or_data=_break(small_marketplace, change), region_codes=[])

    # then it names the bad value and the marketplace is untouched
    assert raised.value.message == message
    assert marketplace_export() == before


def test_marketplace_load__order_owned_by_other_user__refused(small_marketplace):
    def move(document):
        document["users"]["ann_lee_1"]["orders"].remove("#W1")
        document["users"]["bob_ray_2"]["orders"].append("#W1")

    before = marketplace_export()
    with pytest.raises(ValidationFailed) as raised:
        marketplace_load(path_or_data=_break(small_marketplace, move), region_codes=[])
    assert raised.value.message == "users.bob_ray_2.orders: order #W1 belongs to ann_lee_1"
    assert marketplace_export() == before


def test_marketplace_load__unknown_region__refused(small_marketplace):
    before = marketplace_export()
    with pytest.raises(ValidationFailed) as raised:
        marketplace_load(path_or_data=small_marketplace, region_codes=["ZZ"])
    assert raised.value.message == "Unknown region code(s): ZZ"
    assert marketplace_export() == before


def test_load_marketplace_command__not_json__command_error_and_nothing_changed(small_marketplace, tmp_path):
    # given a file that is not JSON
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    before = marketplace_export()

    # when the command loads it
    with pytest.raises(CommandError) as raised:
        call_command("load_marketplace", str(path), "--regions", "")

    # then it fails clearly and nothing changed
    assert str(raised.value).startswith(f"Nothing loaded: {path} is not valid JSON: Expecting property name")
    assert marketplace_export() == before


def test_load_marketplace_command__missing_file__command_error(small_marketplace, tmp_path):
    before = marketplace_export()
    with pytest.raises(CommandError) as raised:
        call_command("load_marketplace", str(tmp_path / "absent.json"), "--regions", "")
    assert str(raised.value).startswith(f"Nothing loaded: Cannot read {tmp_path / 'absent.json'}:")
    assert marketplace_export() == before


def test_load_marketplace_command__regions_option__customers_spread_over_them(db, regions, tmp_path):
    # given a small document on disk
    from .conftest import build_marketplace_document

    path = tmp_path / "small.json"
    path.write_text(json.dumps(build_marketplace_document()), encoding="utf-8")

    # when loaded over US only
    call_command("load_marketplace", str(path), "--regions", "US", stdout=io.StringIO())

    # then every customer and order is in US
    assert set(Customer.objects.values_list("region_id", flat=True)) == {"US"}
    assert set(Order.objects.values_list("region_id", flat=True)) == {"US"}


def test_export_marketplace_command__dash__writes_json_to_stdout(small_marketplace):
    out = io.StringIO()
    call_command("export_marketplace", "-", stdout=out)
    assert json.loads(out.getvalue()) == small_marketplace


def test_marketplace_seed_demo__empty_then_again__loads_once(db, regions, marketplace_document, tmp_path):
    from aftersales.marketplace.demo import marketplace_seed_demo

    # given an empty marketplace and a file
    path = tmp_path / "db.json"
    path.write_text(json.dumps(marketplace_document), encoding="utf-8")

    # when the demo step runs, the data changes, and the step runs again
    first = marketplace_seed_demo(path=path)
    Order.objects.filter(pk="#W2").update(status="cancelled")
    second = marketplace_seed_demo(path=path)

    # then the file was loaded over every region the first time and the second run left the data alone
    assert (first.customers, first.orders) == (2, 8)
    assert set(Customer.objects.values_list("region_id", flat=True)) <= {"US", "GB", "ID"}
    assert Customer.objects.filter(region__isnull=True).count() == 0
    assert second is None
    assert Order.objects.get(pk="#W2").status == "cancelled"


@pytest.fixture
def shipped_on_postgresql(db, regions, shipped_document):
    """The shipped marketplace loaded on PostgreSQL, where the one-query reads aggregate the lists
    in JSON; its document."""
    if connection.vendor != "postgresql":
        pytest.skip("the one-query form is PostgreSQL's")
    marketplace_load(path_or_data=SHIPPED_DB_JSON, region_codes=["US", "GB", "ID"])
    return shipped_document


@pytest.mark.postgres
def test_order_details__every_shipped_order__one_query_equal_to_the_order_and_its_lists(
    shipped_on_postgresql,
):
    # given the shipped marketplace on PostgreSQL
    shipped_document = shipped_on_postgresql

    # when each order is read with order_details
    with CaptureQueriesContext(connection) as captured:
        one = order_details("#W2378156")
    details = {order_id: order_details(order_id) for order_id in shipped_document["orders"]}

    # then it is exactly the order of the file (money, options, lists and their order), in one query
    assert len(captured) == 1
    assert one == shipped_document["orders"]["#W2378156"]
    assert details == shipped_document["orders"]
    assert order_details("#W0000000") is None


def test_order_details__small_marketplace_with_quirks__each_order_as_loaded(small_marketplace):
    # given the small hand-made marketplace (quirks: optional keys, gift cards, exchanges, returns)
    order_ids = sorted(Order.objects.values_list("order_id", flat=True))

    # when each order is read (one statement on PostgreSQL, the prefetching form on SQLite)
    details = {order_id: order_details(order_id) for order_id in order_ids}

    # then each is exactly the order of the document it was loaded from
    assert order_ids == [f"#W{n}" for n in range(1, 9)]
    assert details == small_marketplace["orders"]


@pytest.mark.postgres
def test_customer_details__every_shipped_customer__one_query_equal_to_the_customer_and_its_lists(
    shipped_on_postgresql,
):
    # given the shipped marketplace on PostgreSQL
    shipped_document = shipped_on_postgresql
    user_id = next(iter(shipped_document["users"]))

    # when each customer is read with customer_details
    with CaptureQueriesContext(connection) as captured:
        one = customer_details(user_id)
    details = {user_id: customer_details(user_id) for user_id in shipped_document["users"]}

    # then it is exactly the user of the file (payment methods with their balances, orders in order),
    # in one query
    assert len(captured) == 1
    assert one == shipped_document["users"][user_id]
    assert details == shipped_document["users"]
    assert customer_details("nobody_0000") is None


def test_customer_details__small_marketplace_with_quirks__each_customer_as_loaded(small_marketplace):
    # given the small hand-made marketplace (gift cards, cards without a brand, orders out of order)
    user_ids = sorted(Customer.objects.values_list("user_id", flat=True))

    # when each customer is read (one statement on PostgreSQL, the ORM form on SQLite)
    details = {user_id: customer_details(user_id) for user_id in user_ids}

    # then each is exactly the user of the document it was loaded from
    assert user_ids == sorted(small_marketplace["users"])
    assert details == small_marketplace["users"]
