"""The reference marketplace in the admin: read-only, because its data changes only through the tools
(or a reload), never by hand."""

from django.contrib import admin
from django.db.models import Count
from unfold.admin import ModelAdmin, TabularInline

from aftersales.models import (
    Customer,
    Fulfilment,
    Order,
    OrderItem,
    PaymentMethod,
    PaymentTransaction,
    Product,
    Variant,
)

from .scoping import RegionScopedAdminMixin


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnlyAdminMixin, TabularInline):
    extra = 0
    show_change_link = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields


class OrderItemInline(ReadOnlyInline):
    model = OrderItem
    fields = ["position", "name", "product_id", "item_id", "price", "options"]
    ordering = ["position"]


class PaymentTransactionInline(ReadOnlyInline):
    model = PaymentTransaction
    fields = ["position", "transaction_type", "amount", "payment_method_id"]
    ordering = ["position"]


class FulfilmentInline(ReadOnlyInline):
    model = Fulfilment
    fields = ["position", "tracking_ids", "item_ids"]
    ordering = ["position"]


class PaymentMethodInline(ReadOnlyInline):
    model = PaymentMethod
    fields = ["id", "source", "brand", "last_four", "balance"]
    ordering = ["position"]


class CustomerOrderInline(ReadOnlyInline):
    model = Order
    fields = ["order_id", "status", "city", "country"]
    ordering = ["position"]
    show_change_link = True


class VariantInline(ReadOnlyInline):
    model = Variant
    fields = ["item_id", "options", "available", "price"]
    ordering = ["position"]


@admin.register(Customer)
class CustomerAdmin(RegionScopedAdminMixin, ReadOnlyAdminMixin, ModelAdmin):
    list_display = ["user_id", "first_name", "last_name", "email", "zip", "region"]
    list_filter = ["region"]
    list_select_related = ["region"]
    search_fields = ["user_id", "email", "first_name", "last_name", "zip"]
    list_per_page = 50
    ordering = ["position"]
    autocomplete_fields = ["region"]
    fieldsets = [
        (None, {"fields": ["user_id", "first_name", "last_name", "email", "region"]}),
        ("Default address", {"fields": ["address1", "address2", "city", "state", "country", "zip"]}),
    ]
    inlines = [PaymentMethodInline, CustomerOrderInline]


@admin.register(Order)
class OrderAdmin(RegionScopedAdminMixin, ReadOnlyAdminMixin, ModelAdmin):
    list_display = ["order_id", "customer", "customer_email", "status", "item_count", "region"]
    list_filter = ["status", "region"]
    list_select_related = ["customer", "region"]
    search_fields = ["order_id", "customer__email", "customer__first_name", "customer__last_name"]
    list_per_page = 50
    ordering = ["position"]
    autocomplete_fields = ["customer", "region"]
    fieldsets = [
        (None, {"fields": ["order_id", "customer", "status", "region"]}),
        ("Shipping address", {"fields": ["address1", "address2", "city", "state", "country", "zip"]}),
        ("Cancellation", {"fields": ["cancel_reason"], "classes": ["collapse"]}),
        ("Return", {"fields": ["return_items", "return_payment_method_id"], "classes": ["collapse"]}),
        (
            "Exchange",
            {
                "fields": [
                    "exchange_items",
                    "exchange_new_items",
                    "exchange_payment_method_id",
                    "exchange_price_difference",
                ],
                "classes": ["collapse"],
            },
        ),
    ]
    inlines = [OrderItemInline, PaymentTransactionInline, FulfilmentInline]

    def get_queryset(self, request):
        # The item count comes with the page's one query instead of one query per row.
        return super().get_queryset(request).annotate(item_count=Count("items"))

    @admin.display(description="email", ordering="customer__email")
    def customer_email(self, order: Order) -> str:
        return order.customer.email

    @admin.display(description="items", ordering="item_count")
    def item_count(self, order: Order) -> int:
        return order.item_count


@admin.register(Product)
class ProductAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ["product_id", "name", "variant_count"]
    search_fields = ["product_id", "name"]
    list_per_page = 50
    ordering = ["name"]
    fields = ["product_id", "name"]
    inlines = [VariantInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(variant_count=Count("variants"))

    @admin.display(description="variants", ordering="variant_count")
    def variant_count(self, product: Product) -> int:
        return product.variant_count


@admin.register(Variant)
class VariantAdmin(ReadOnlyAdminMixin, ModelAdmin):
    list_display = ["item_id", "product", "options", "available", "price"]
    list_filter = ["available"]
    list_select_related = ["product"]
    search_fields = ["item_id", "product__name"]
    list_per_page = 50
    ordering = ["product__name", "position"]
    autocomplete_fields = ["product"]
    fields = ["item_id", "product", "options", "available", "price"]
