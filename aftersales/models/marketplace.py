"""The reference marketplace (τ²-retail): customers, payment methods, products, orders.

Relational rather than one JSON blob so the tools can lock single rows and the admin can search. Every
list of the source JSON keeps an explicit ``position`` so the exporter reproduces it exactly; keys the
source holds only sometimes are nullable columns (NULL = key absent). Money is Decimal with two places.
"""

from django.db import models

MONEY = {"max_digits": 12, "decimal_places": 2}


class PaymentSource(models.TextChoices):
    CREDIT_CARD = "credit_card", "credit card"
    PAYPAL = "paypal", "PayPal"
    GIFT_CARD = "gift_card", "gift card"


class OrderStatus(models.TextChoices):
    PENDING = "pending", "pending"
    PROCESSED = "processed", "processed"
    DELIVERED = "delivered", "delivered"
    CANCELLED = "cancelled", "cancelled"
    PENDING_ITEM_MODIFIED = "pending (item modified)", "pending (item modified)"
    EXCHANGE_REQUESTED = "exchange requested", "exchange requested"
    RETURN_REQUESTED = "return requested", "return requested"


class TransactionType(models.TextChoices):
    PAYMENT = "payment", "payment"
    REFUND = "refund", "refund"


class Customer(models.Model):
    user_id = models.CharField(max_length=100, primary_key=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.CharField(max_length=254, db_index=True)
    # The default (shipping) address.
    address1 = models.CharField(max_length=200)
    address2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=100)
    zip = models.CharField(max_length=20, db_index=True)
    region = models.ForeignKey(
        "aftersales.Region",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="marketplace_customers",
    )
    position = models.PositiveIntegerField(help_text="Place in the source's users object.")

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.user_id})"


class PaymentMethod(models.Model):
    id = models.CharField(max_length=100, primary_key=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="payment_methods")
    source = models.CharField(max_length=20, choices=PaymentSource.choices)
    brand = models.CharField(max_length=50, null=True, blank=True)
    last_four = models.CharField(max_length=4, null=True, blank=True)
    balance = models.DecimalField(**MONEY, null=True, blank=True, help_text="Gift cards only.")
    position = models.PositiveIntegerField(help_text="Place in the customer's payment_methods object.")

    class Meta:
        ordering = ["customer", "position"]

    def __str__(self) -> str:
        return self.id

    @property
    def is_gift_card(self) -> bool:
        return self.source == PaymentSource.GIFT_CARD


class Product(models.Model):
    product_id = models.CharField(max_length=100, primary_key=True)
    name = models.CharField(max_length=200, db_index=True)
    position = models.PositiveIntegerField(help_text="Place in the source's products object.")

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.name} ({self.product_id})"


class Variant(models.Model):
    item_id = models.CharField(max_length=100, primary_key=True)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    options = models.JSONField(default=dict)
    available = models.BooleanField()
    price = models.DecimalField(**MONEY)
    position = models.PositiveIntegerField(help_text="Place in the product's variants object.")

    class Meta:
        ordering = ["product", "position"]

    def __str__(self) -> str:
        return self.item_id


class Order(models.Model):
    order_id = models.CharField(max_length=100, primary_key=True, help_text='With the leading "#".')
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="orders")
    # Where the order sits in its customer's ``orders`` list (NULL: the list does not name it).
    customer_position = models.PositiveIntegerField(null=True, blank=True)
    position = models.PositiveIntegerField(help_text="Place in the source's orders object.")
    address1 = models.CharField(max_length=200)
    address2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=100)
    zip = models.CharField(max_length=20)
    status = models.CharField(max_length=32, choices=OrderStatus.choices, db_index=True)
    cancel_reason = models.CharField(max_length=100, null=True, blank=True)
    return_items = models.JSONField(null=True, blank=True)
    return_payment_method_id = models.CharField(max_length=100, null=True, blank=True)
    exchange_items = models.JSONField(null=True, blank=True)
    exchange_new_items = models.JSONField(null=True, blank=True)
    exchange_payment_method_id = models.CharField(max_length=100, null=True, blank=True)
    exchange_price_difference = models.DecimalField(**MONEY, null=True, blank=True)
    region = models.ForeignKey(
        "aftersales.Region",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="marketplace_orders",
    )

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.order_id


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    # Plain ids, not FKs: an order keeps what was sold even if the catalogue changes.
    product_id = models.CharField(max_length=100)
    item_id = models.CharField(max_length=100, db_index=True)
    price = models.DecimalField(**MONEY)
    options = models.JSONField(default=dict)

    class Meta:
        ordering = ["order", "position"]
        constraints = [models.UniqueConstraint(fields=["order", "position"], name="orderitem_order_position")]

    def __str__(self) -> str:
        return f"{self.order_id}[{self.position}] {self.item_id}"


class Fulfilment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="fulfilments")
    position = models.PositiveIntegerField()
    tracking_ids = models.JSONField(default=list)
    item_ids = models.JSONField(default=list)

    class Meta:
        ordering = ["order", "position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="fulfilment_order_position")
        ]

    def __str__(self) -> str:
        return f"{self.order_id}[{self.position}] {', '.join(self.tracking_ids)}"


class PaymentTransaction(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payment_history")
    position = models.PositiveIntegerField()
    transaction_type = models.CharField(max_length=10, choices=TransactionType.choices)
    amount = models.DecimalField(**MONEY)
    # Plain id, not an FK: the history names the method as it was, even one the customer no longer holds.
    payment_method_id = models.CharField(max_length=100)

    class Meta:
        ordering = ["order", "position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="paymenttransaction_order_position")
        ]

    def __str__(self) -> str:
        return f"{self.order_id}[{self.position}] {self.transaction_type} {self.amount}"
