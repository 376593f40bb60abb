"""Load and export the reference marketplace in the τ²-retail JSON shape.

The loader validates the whole document into unsaved rows first and only then replaces the tables in one
transaction, so bad input changes nothing. The row → JSON functions here are the only serialisation of
marketplace objects: the tools return the same shapes.
"""

from __future__ import annotations

import json
import math
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from django.db import connection, transaction

from aftersales.models import (
    Customer,
    Fulfilment,
    Order,
    OrderItem,
    OrderStatus,
    PaymentMethod,
    PaymentSource,
    PaymentTransaction,
    Product,
    Region,
    TransactionType,
    Variant,
)
from config.errors import ValidationFailed
from config.rows import row_reader

# The project's copy of the τ²-retail file (sierra-research/tau2-bench v1.0.1, MIT; see its README).
SHIPPED_DB_JSON = Path(__file__).resolve().parent.parent / "data" / "tau2-retail" / "db.json"
CENT = Decimal("0.01")
BATCH_SIZE = 1000
ADDRESS_KEYS = ("address1", "address2", "city", "country", "state", "zip")
# Keys of an order that appear only after a tool acted on it, in the order τ² writes them, with the
# _Reader method that checks each.
ORDER_OPTIONAL_KEYS = {
    "cancel_reason": "text",
    "exchange_items": "texts",
    "exchange_new_items": "texts",
    "exchange_payment_method_id": "text",
    "exchange_price_difference": "amount",
    "return_items": "texts",
    "return_payment_method_id": "text",
}
PAYMENT_METHOD_OPTIONAL_KEYS = ("brand", "last_four", "balance")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT)


# ---------------------------------------------------------------- rows → JSON


def _money_json(value: Decimal) -> float:
    # τ² types money as float; float(Decimal("54.04")) is the same double json.loads gives for 54.04.
    return float(value)


def _address_json(row) -> dict[str, str]:
    return {key: getattr(row, key) for key in ADDRESS_KEYS}


def variant_json(variant: Variant) -> dict[str, Any]:
    return {
        "item_id": variant.item_id,
        "options": variant.options,
        "available": variant.available,
        "price": _money_json(variant.price),
    }


def product_json(product: Product, variants: Iterable[Variant]) -> dict[str, Any]:
    return {
        "name": product.name,
        "product_id": product.product_id,
        "variants": {variant.item_id: variant_json(variant) for variant in variants},
    }


def payment_method_json(method: PaymentMethod) -> dict[str, Any]:
    data: dict[str, Any] = {"source": method.source, "id": method.id}
    if method.brand is not None:
        data["brand"] = method.brand
    if method.last_four is not None:
        data["last_four"] = method.last_four
    if method.balance is not None:
        data["balance"] = _money_json(method.balance)
    return data


def customer_json(
    customer: Customer, methods: Iterable[PaymentMethod], order_ids: Iterable[str]
) -> dict[str, Any]:
    return {
        "user_id": customer.user_id,
        "name": {"first_name": customer.first_name, "last_name": customer.last_name},
        "address": _address_json(customer),
        "email": customer.email,
        "payment_methods": {method.id: payment_method_json(method) for method in methods},
        "orders": list(order_ids),
    }


def order_json(
    order: Order,
    items: Iterable[OrderItem],
    fulfilments: Iterable[Fulfilment],
    payments: Iterable[PaymentTransaction],
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "order_id": order.order_id,
        "user_id": order.customer_id,
        "address": _address_json(order),
        "items": [
            {
                "name": item.name,
                "product_id": item.product_id,
                "item_id": item.item_id,
                "price": _money_json(item.price),
                "options": item.options,
            }
            for item in items
        ],
        "status": order.status,
        "fulfillments": [
            {"tracking_id": fulfilment.tracking_ids, "item_ids": fulfilment.item_ids}
            for fulfilment in fulfilments
        ],
        "payment_history": [
            {
                "transaction_type": payment.transaction_type,
                "amount": _money_json(payment.amount),
                "payment_method_id": payment.payment_method_id,
            }
            for payment in payments
        ],
    }
    for key in ORDER_OPTIONAL_KEYS:
        value = getattr(order, key)
        if value is not None:
            data[key] = _money_json(value) if isinstance(value, Decimal) else value
    return data


# ------------------------------------------------------- single objects (tools)


def customer_as_json(customer: Customer) -> dict[str, Any]:
    order_ids = (
        Order.objects.filter(customer=customer, customer_position__isnull=False)
        .order_by("customer_position")
        .values_list("order_id", flat=True)
    )
    return customer_json(customer, customer.payment_methods.order_by("position"), order_ids)


def order_as_json(order: Order) -> dict[str, Any]:
    return order_json(
        order,
        order.items.order_by("position"),
        order.fulfilments.order_by("position"),
        order.payment_history.order_by("position"),
    )


@dataclass(frozen=True)
class _JsonList:
    """A list of a row, read as a JSON array in a subquery of the row's own SELECT (PostgreSQL): the
    rows of ``model`` whose ``parent`` is the row, ordered by ``order``, each an object of ``names``
    (or, with one name, that value alone); with ``present``, only rows where that field is set."""

    model: type
    parent: str
    names: tuple[str, ...]
    order: str = "position"
    present: str | None = None

    def sql(self, alias: str, key_column: str) -> str:
        meta, quote = self.model._meta, connection.ops.quote_name

        def column(name: str) -> str:
            return f"l.{quote(meta.get_field(name).column)}"

        if len(self.names) == 1:
            value = column(self.names[0])
        else:
            pairs = ", ".join(f"'{name}', {column(name)}" for name in self.names)
            value = f"json_build_object({pairs})"
        where = f"{column(self.parent)} = {quote(alias)}.{quote(key_column)}"
        if self.present:
            where += f" AND {column(self.present)} IS NOT NULL"
        return (
            f"(SELECT COALESCE(json_agg({value} ORDER BY {column(self.order)}), '[]') "  # noqa: S608
            f"FROM {quote(meta.db_table)} l WHERE {where})"
        )


_ORDER_LISTS = (
    _JsonList(OrderItem, "order", ("name", "product_id", "item_id", "price", "options")),
    _JsonList(Fulfilment, "order", ("tracking_ids", "item_ids")),
    _JsonList(PaymentTransaction, "order", ("transaction_type", "amount", "payment_method_id")),
)
_CUSTOMER_LISTS = (
    _JsonList(PaymentMethod, "customer", ("id", "source", "brand", "last_four", "balance")),
    _JsonList(Order, "customer", ("order_id",), order="customer_position", present="customer_position"),
)


@cache
def _with_lists_sql(model, alias: str, lists: tuple[_JsonList, ...]) -> str:
    """The one statement of a read with its lists, written once per process: built with the ORM it
    cost more Python time to compile than the queries it saves."""
    meta, quote = model._meta, connection.ops.quote_name
    subqueries = ", ".join(spec.sql(alias, meta.pk.column) for spec in lists)
    columns = row_reader(model).columns(alias)
    table, key = quote(meta.db_table), f"{quote(alias)}.{quote(meta.pk.column)}"
    return f"SELECT {columns}, {subqueries} FROM {table} {quote(alias)} WHERE {key} = %s"  # noqa: S608


def _read_with_lists(model, alias: str, lists: tuple[_JsonList, ...], pk: str):
    """(the row as a model instance, its lists as plain JSON values), or None when there is no row."""
    with connection.cursor() as cursor:
        cursor.execute(_with_lists_sql(model, alias, lists), [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    reader = row_reader(model)
    return reader.instance(row), [_json(value) for value in row[len(reader.names) :]]


def order_details(order_id: str) -> dict[str, Any] | None:
    """The τ² JSON of one order, or None when there is none.

    On PostgreSQL it is one round trip: items, fulfilments and payments come as JSON arrays
    aggregated in subqueries of the order's SELECT (a tool call's hottest read; the prefetching
    form costs four). Money comes back as the same doubles as ``float(Decimal)`` and JSON values
    keep the key order their jsonb columns already have, so both forms are equal (tested)."""
    if connection.vendor != "postgresql":
        order = Order.objects.filter(pk=order_id).first()
        return None if order is None else order_as_json(order)
    found = _read_with_lists(Order, "o", _ORDER_LISTS, order_id)
    if found is None:
        return None
    order, lists = found
    return order_json(order, *[[SimpleNamespace(**item) for item in values] for values in lists])


def customer_details(user_id: str) -> dict[str, Any] | None:
    """The τ² JSON of one customer, or None when there is none: on PostgreSQL in one round trip, the
    payment methods and the listed orders' ids aggregated as for ``order_details`` (the ORM form
    reads the customer, then each list: three)."""
    if connection.vendor != "postgresql":
        customer = Customer.objects.filter(pk=user_id).first()
        return None if customer is None else customer_as_json(customer)
    found = _read_with_lists(Customer, "c", _CUSTOMER_LISTS, user_id)
    if found is None:
        return None
    customer, (methods, order_ids) = found
    return customer_json(customer, [SimpleNamespace(**method) for method in methods], order_ids)


def _json(value):
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def product_as_json(product: Product) -> dict[str, Any]:
    return product_json(product, product.variants.order_by("position"))


# ------------------------------------------------------------------- export


def _grouped(queryset, key: str) -> dict[Any, list]:
    groups: dict[Any, list] = defaultdict(list)
    for row in queryset:
        groups[getattr(row, key)].append(row)
    return groups


def marketplace_export() -> dict[str, Any]:
    """The whole marketplace as one τ²-retail JSON object (nine queries, whatever the size)."""
    variants = _grouped(Variant.objects.order_by("product_id", "position"), "product_id")
    methods = _grouped(PaymentMethod.objects.order_by("customer_id", "position"), "customer_id")
    listed_orders: dict[str, list[str]] = defaultdict(list)
    for customer_id, order_id in (
        Order.objects.filter(customer_position__isnull=False)
        .order_by("customer_id", "customer_position")
        .values_list("customer_id", "order_id")
    ):
        listed_orders[customer_id].append(order_id)
    items = _grouped(OrderItem.objects.order_by("order_id", "position"), "order_id")
    fulfilments = _grouped(Fulfilment.objects.order_by("order_id", "position"), "order_id")
    payments = _grouped(PaymentTransaction.objects.order_by("order_id", "position"), "order_id")
    return {
        "products": {
            product.product_id: product_json(product, variants[product.product_id])
            for product in Product.objects.order_by("position")
        },
        "users": {
            customer.user_id: customer_json(
                customer, methods[customer.user_id], listed_orders[customer.user_id]
            )
            for customer in Customer.objects.order_by("position")
        },
        "orders": {
            order.order_id: order_json(
                order, items[order.order_id], fulfilments[order.order_id], payments[order.order_id]
            )
            for order in Order.objects.order_by("position")
        },
    }


# --------------------------------------------------------------- validation


class _Reader:
    """Typed access to the JSON document; every failure names the path of the bad value."""

    def fail(self, path: str, problem: str):
        raise ValidationFailed(f"{path}: {problem}", details={"path": path})

    def obj(self, value: Any, path: str, required: Sequence[str], optional: Sequence[str] = ()) -> Mapping:
        if not isinstance(value, dict):
            self.fail(path, "expected an object")
        missing = [key for key in required if key not in value]
        if missing:
            self.fail(path, f"missing key(s) {', '.join(missing)}")
        unknown = sorted(set(value) - set(required) - set(optional))
        if unknown:
            # Refused rather than dropped: an export would silently lose them.
            self.fail(path, f"unknown key(s) {', '.join(unknown)}")
        return value

    def mapping(self, value: Any, path: str) -> Mapping:
        if not isinstance(value, dict):
            self.fail(path, "expected an object")
        return value

    def text(self, value: Any, path: str) -> str:
        if not isinstance(value, str):
            self.fail(path, "expected a string")
        return value

    def texts(self, value: Any, path: str) -> list[str]:
        if not isinstance(value, list):
            self.fail(path, "expected a list of strings")
        return [self.text(entry, f"{path}[{index}]") for index, entry in enumerate(value)]

    def flag(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            self.fail(path, "expected true or false")
        return value

    def amount(self, value: Any, path: str) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            self.fail(path, "expected a number")
        exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if money(exact) != exact:
            self.fail(path, "expected at most two decimal places")
        if abs(exact) >= Decimal("1e10"):
            self.fail(path, "amount too large")
        return money(exact)

    def choice(self, value: Any, path: str, choices) -> str:
        if value not in choices.values:
            self.fail(path, f"expected one of {', '.join(choices.values)}")
        return value

    def same_key(self, key: str, value: str, path: str) -> None:
        if key != value:
            self.fail(path, f"id {value!r} differs from its key {key!r}")

    def address(self, value: Any, path: str) -> dict[str, str]:
        address = self.obj(value, path, ADDRESS_KEYS)
        return {key: self.text(address[key], f"{path}.{key}") for key in ADDRESS_KEYS}


@dataclass
class _Rows:
    products: list[Product]
    variants: list[Variant]
    customers: list[Customer]
    methods: list[PaymentMethod]
    orders: list[Order]
    items: list[OrderItem]
    fulfilments: list[Fulfilment]
    payments: list[PaymentTransaction]


def _product_rows(read: _Reader, products: Mapping, rows: _Rows) -> None:
    item_ids: set[str] = set()
    for position, (product_id, product) in enumerate(products.items()):
        path = f"products.{product_id}"
        read.obj(product, path, ("name", "product_id", "variants"))
        read.same_key(product_id, read.text(product["product_id"], f"{path}.product_id"), path)
        rows.products.append(
            Product(product_id=product_id, name=read.text(product["name"], f"{path}.name"), position=position)
        )
        for variant_position, (item_id, variant) in enumerate(
            read.mapping(product["variants"], path).items()
        ):
            vpath = f"{path}.variants.{item_id}"
            read.obj(variant, vpath, ("item_id", "options", "available", "price"))
            read.same_key(item_id, read.text(variant["item_id"], f"{vpath}.item_id"), vpath)
            if item_id in item_ids:
                read.fail(vpath, "item id used by another variant")
            item_ids.add(item_id)
            rows.variants.append(
                Variant(
                    item_id=item_id,
                    product_id=product_id,
                    options=read.mapping(variant["options"], f"{vpath}.options"),
                    available=read.flag(variant["available"], f"{vpath}.available"),
                    price=read.amount(variant["price"], f"{vpath}.price"),
                    position=variant_position,
                )
            )


def _customer_rows(read: _Reader, users: Mapping, rows: _Rows, region_of) -> dict[str, list[str]]:
    """Customers and payment methods; returns each user's ``orders`` list for the order pass."""
    listed: dict[str, list[str]] = {}
    method_ids: set[str] = set()
    keys = ("user_id", "name", "address", "email", "payment_methods", "orders")
    for position, (user_id, user) in enumerate(users.items()):
        path = f"users.{user_id}"
        read.obj(user, path, keys)
        read.same_key(user_id, read.text(user["user_id"], f"{path}.user_id"), path)
        name = read.obj(user["name"], f"{path}.name", ("first_name", "last_name"))
        rows.customers.append(
            Customer(
                user_id=user_id,
                first_name=read.text(name["first_name"], f"{path}.name.first_name"),
                last_name=read.text(name["last_name"], f"{path}.name.last_name"),
                email=read.text(user["email"], f"{path}.email"),
                region_id=region_of(user_id),
                position=position,
                **read.address(user["address"], f"{path}.address"),
            )
        )
        methods = read.mapping(user["payment_methods"], f"{path}.payment_methods")
        for method_position, (method_id, method) in enumerate(methods.items()):
            mpath = f"{path}.payment_methods.{method_id}"
            read.obj(method, mpath, ("source", "id"), PAYMENT_METHOD_OPTIONAL_KEYS)
            read.same_key(method_id, read.text(method["id"], f"{mpath}.id"), mpath)
            if method_id in method_ids:
                read.fail(mpath, "payment method id used by another payment method")
            method_ids.add(method_id)
            if method["source"] == PaymentSource.GIFT_CARD and "balance" not in method:
                read.fail(mpath, "a gift card needs a balance")
            rows.methods.append(
                PaymentMethod(
                    id=method_id,
                    customer_id=user_id,
                    source=read.choice(method["source"], f"{mpath}.source", PaymentSource),
                    brand=read.text(method["brand"], f"{mpath}.brand") if "brand" in method else None,
                    last_four=read.text(method["last_four"], f"{mpath}.last_four")
                    if "last_four" in method
                    else None,
                    balance=read.amount(method["balance"], f"{mpath}.balance")
                    if "balance" in method
                    else None,
                    position=method_position,
                )
            )
        listed[user_id] = read.texts(user["orders"], f"{path}.orders")
    return listed


def _order_rows(read: _Reader, orders: Mapping, rows: _Rows, listed: dict[str, list[str]], region_of) -> None:
    owner_position: dict[str, tuple[str, int]] = {}
    for user_id, order_ids in listed.items():
        for customer_position, order_id in enumerate(order_ids):
            if order_id in owner_position:
                read.fail(f"users.{user_id}.orders", f"order {order_id} is listed twice")
            owner_position[order_id] = (user_id, customer_position)
    keys = ("order_id", "user_id", "address", "items", "status", "fulfillments", "payment_history")
    for position, (order_id, order) in enumerate(orders.items()):
        path = f"orders.{order_id}"
        read.obj(order, path, keys, ORDER_OPTIONAL_KEYS)
        read.same_key(order_id, read.text(order["order_id"], f"{path}.order_id"), path)
        user_id = read.text(order["user_id"], f"{path}.user_id")
        if user_id not in listed:
            read.fail(f"{path}.user_id", f"unknown user {user_id}")
        owner, customer_position = owner_position.pop(order_id, (user_id, None))
        if owner != user_id:
            read.fail(f"users.{owner}.orders", f"order {order_id} belongs to {user_id}")
        rows.orders.append(
            Order(
                order_id=order_id,
                customer_id=user_id,
                customer_position=customer_position,
                position=position,
                status=read.choice(order["status"], f"{path}.status", OrderStatus),
                region_id=region_of(user_id),
                **read.address(order["address"], f"{path}.address"),
                **{
                    key: getattr(read, kind)(order[key], f"{path}.{key}")
                    for key, kind in ORDER_OPTIONAL_KEYS.items()
                    if key in order
                },
            )
        )
        _order_child_rows(read, order, path, rows)
    if owner_position:
        order_id, (user_id, _) = next(iter(owner_position.items()))
        read.fail(f"users.{user_id}.orders", f"unknown order {order_id}")


def _order_child_rows(read: _Reader, order: Mapping, path: str, rows: _Rows) -> None:
    order_id = order["order_id"]
    for position, item in enumerate(_list(read, order["items"], f"{path}.items")):
        ipath = f"{path}.items[{position}]"
        read.obj(item, ipath, ("name", "product_id", "item_id", "price", "options"))
        rows.items.append(
            OrderItem(
                order_id=order_id,
                position=position,
                name=read.text(item["name"], f"{ipath}.name"),
                product_id=read.text(item["product_id"], f"{ipath}.product_id"),
                item_id=read.text(item["item_id"], f"{ipath}.item_id"),
                price=read.amount(item["price"], f"{ipath}.price"),
                options=read.mapping(item["options"], f"{ipath}.options"),
            )
        )
    for position, fulfilment in enumerate(_list(read, order["fulfillments"], f"{path}.fulfillments")):
        fpath = f"{path}.fulfillments[{position}]"
        read.obj(fulfilment, fpath, ("tracking_id", "item_ids"))
        rows.fulfilments.append(
            Fulfilment(
                order_id=order_id,
                position=position,
                tracking_ids=read.texts(fulfilment["tracking_id"], f"{fpath}.tracking_id"),
                item_ids=read.texts(fulfilment["item_ids"], f"{fpath}.item_ids"),
            )
        )
    for position, payment in enumerate(_list(read, order["payment_history"], f"{path}.payment_history")):
        ppath = f"{path}.payment_history[{position}]"
        read.obj(payment, ppath, ("transaction_type", "amount", "payment_method_id"))
        rows.payments.append(
            PaymentTransaction(
                order_id=order_id,
                position=position,
                transaction_type=read.choice(
                    payment["transaction_type"], f"{ppath}.transaction_type", TransactionType
                ),
                amount=read.amount(payment["amount"], f"{ppath}.amount"),
                payment_method_id=read.text(payment["payment_method_id"], f"{ppath}.payment_method_id"),
            )
        )


def _list(read: _Reader, value: Any, path: str) -> list:
    if not isinstance(value, list):
        read.fail(path, "expected a list")
    return value


def _document(path_or_data: str | Path | Mapping) -> Mapping:
    if isinstance(path_or_data, Mapping):
        return path_or_data
    try:
        text = Path(path_or_data).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ValidationFailed(f"Cannot read {path_or_data}: {error}") from error
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValidationFailed(f"{path_or_data} is not valid JSON: {error}") from error


def region_for(user_id: str, region_codes: Sequence[str]) -> str | None:
    """The customer's region: a stable hash (crc32, unlike ``hash()`` the same in every process) over the
    sorted codes, so the same file and regions always give the same assignment."""
    if not region_codes:
        return None
    codes = sorted(region_codes)
    return codes[zlib.crc32(user_id.encode("utf-8")) % len(codes)]


# --------------------------------------------------------------------- load


@dataclass(frozen=True)
class LoadSummary:
    products: int
    variants: int
    customers: int
    payment_methods: int
    orders: int


def marketplace_load(*, path_or_data: str | Path | Mapping, region_codes: Sequence[str]) -> LoadSummary:
    """Replace the whole marketplace with the τ²-retail document (a path or the parsed object).

    Raises ValidationFailed, naming the bad value, before anything is written."""
    codes = list(dict.fromkeys(region_codes))
    unknown = sorted(set(codes) - set(Region.objects.filter(code__in=codes).values_list("code", flat=True)))
    if unknown:
        raise ValidationFailed(f"Unknown region code(s): {', '.join(unknown)}")
    read = _Reader()
    document = read.obj(_document(path_or_data), "$", ("products", "users", "orders"))
    rows = _Rows([], [], [], [], [], [], [], [])
    _product_rows(read, read.mapping(document["products"], "products"), rows)
    regions = {user_id: region_for(user_id, codes) for user_id in read.mapping(document["users"], "users")}
    listed = _customer_rows(read, document["users"], rows, regions.get)
    _order_rows(read, read.mapping(document["orders"], "orders"), rows, listed, regions.get)

    with transaction.atomic():
        # Children first, so the cascade collector finds nothing left to fetch.
        for model in (
            PaymentTransaction,
            Fulfilment,
            OrderItem,
            Order,
            PaymentMethod,
            Customer,
            Variant,
            Product,
        ):
            model.objects.all().delete()
        for model, batch in (
            (Product, rows.products),
            (Variant, rows.variants),
            (Customer, rows.customers),
            (PaymentMethod, rows.methods),
            (Order, rows.orders),
            (OrderItem, rows.items),
            (Fulfilment, rows.fulfilments),
            (PaymentTransaction, rows.payments),
        ):
            model.objects.bulk_create(batch, batch_size=BATCH_SIZE)
    return LoadSummary(
        products=len(rows.products),
        variants=len(rows.variants),
        customers=len(rows.customers),
        payment_methods=len(rows.methods),
        orders=len(rows.orders),
    )
