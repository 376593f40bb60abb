from .access import ApiClient, StaffProfile
from .marketplace import (
    Customer,
    Fulfilment,
    Order,
    OrderItem,
    OrderStatus,
    PaymentMethod,
    PaymentSource,
    PaymentTransaction,
    Product,
    TransactionType,
    Variant,
)
from .regions import Region

__all__ = ["ApiClient", "Region", "StaffProfile"]
__all__ += [
    "Customer",
    "Fulfilment",
    "Order",
    "OrderItem",
    "OrderStatus",
    "PaymentMethod",
    "PaymentSource",
    "PaymentTransaction",
    "Product",
    "TransactionType",
    "Variant",
]
from .sops import (  # noqa: E402
    Sop,
    SopClause,
    SopClauseOverride,
    SopConstraint,
    SopParameter,
    SopParameterOverride,
    SopPublication,
    SopRegionalOverride,
    SopReviewPolicy,
    SopReviewRequirement,
    SopSignOff,
    SopVersion,
    SopVersionEvent,
)

__all__ += [
    "Sop",
    "SopClause",
    "SopClauseOverride",
    "SopConstraint",
    "SopParameter",
    "SopParameterOverride",
    "SopPublication",
    "SopRegionalOverride",
    "SopReviewPolicy",
    "SopReviewRequirement",
    "SopSignOff",
    "SopVersion",
    "SopVersionEvent",
]
