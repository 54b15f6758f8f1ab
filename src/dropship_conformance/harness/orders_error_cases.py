"""The cases of the Orders API errors suite, as tables: the error rows of 003/004 §Errors with
their status and message, the 400s the request tables imply, and what each refused change must
not have done. "$NAME" strings stand for this run's identities (:meth:`Identities.values`).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from dropship_conformance.checks import ids
from dropship_conformance.harness.target import Target

NOT_FOUND = "Order resource with id {x} cannot be found"
ENTITY_NOT_RELATED = "Entity is not related to company"
ID_MISMATCH = (  # DEV-ID-MISMATCH-MESSAGE: either documented message
    "The request is invalid",
    "Uri parameter representing resource id and resource id found in the request content "
    "don't match",
)
CONFLICT = "Conflict"
TRANSITION = "Resource state transition from {x} to {y} is invalid"
# Used where the target's seed is unknown: ids no company is expected to own.
FOREIGN_EMPLOYEE = 2147483001
ORDER_OPERATIONS = (
    "getOrder",
    "updateOrder",
    "addItem",
    "listItems",
    "processOrder",
    "getOrderFull",
    "updateOrderFull",
)
ALL_OPERATIONS = (
    "createOrder",
    "listOrders",
    "createOrderFull",
    "listOrderFull",
    *ORDER_OPERATIONS,
)
WRITES = ("createOrder", "createOrderFull", "updateOrder", "updateOrderFull")
ITEM_ROUTES = ("addItem", "createOrderFull", "updateOrderFull")


def billing_message(company_id: int) -> re.Pattern[str]:
    """004 §ERRORS: Description "Bad Request", Reason "Billing Customer (id={x}) not found for
    company {y}. Proccessing ..." with the company's id: either is the message
    (DEV-BILLING-MESSAGE); the order names no customer, so {x} can only show that there is none."""
    return re.compile(
        r"Bad Request|(?:Bad Request\W*)?Billing Customer \(id=(?:|null|None|"
        r"00000000-0000-0000-0000-000000000000)\) not found for company "
        + re.escape(str(company_id))
        + r"\. Proccessing an Order requires a Billing Customer on the Order"
    )


@dataclass(frozen=True)
class Identities:
    """The identities the cases use: the company under test and, where known, another one."""

    company_id: int
    location_id: int
    customer_id: str
    other_company_id: int
    other_location_id: int
    other_customer_id: str
    other_token: str | None

    @classmethod
    def of(cls, target: Target) -> Identities:
        settings = target.settings
        info = target.sandbox_info or {}
        other: dict[str, Any] = next(
            (c for c in info.get("companies", []) if c.get("id") == settings.other_company_id),
            {},
        )
        return cls(
            settings.company_id,
            settings.location_id,
            settings.billing_customer_id,
            settings.other_company_id,
            settings.other_location_id,
            next((c["id"] for c in other.get("customers", [])), str(uuid.uuid4())),
            settings.other_token,
        )

    def values(self, order_id: str) -> dict[str, Any]:
        """The values the "$NAME" placeholders of the tables stand for."""
        return {
            "ORDER": order_id,
            "LOCATION": self.location_id,
            "CUSTOMER": self.customer_id,
            "OTHER_LOCATION": self.other_location_id,
            "OTHER_CUSTOMER": self.other_customer_id,
        }


def new_tag() -> str:
    """A Name/SKU that shows whether a refused change took effect."""
    return f"ERR-{uuid.uuid4().hex[:10]}"


def item_body(tag: str) -> dict[str, Any]:
    return {"ItemTypeId": 2, "ItemStatusId": 9, "SKU": tag}


def order_body(who: Identities, **fields: Any) -> dict[str, Any]:
    """A new order's body; 003 requires a billing customer on create (ORD-CRT-014)."""
    body = {
        "EntityId": who.location_id,
        "OrderTypeId": 3,
        "BillingCustomerId": who.customer_id,
        "Name": "Errors",
        **fields,
    }
    return {k: v for k, v in body.items() if v is not None}


def valid_body(operation_id: str, who: Identities, order_id: str, tag: str) -> Any:
    """A body the operation would accept (Name/SKU ``tag`` shows whether it took effect)."""
    order = order_body(who, Name=tag)
    return {
        "createOrder": order,
        "createOrderFull": {**order, "Items": [item_body(tag)]},
        "updateOrder": {"Id": order_id, **order},
        "updateOrderFull": {"Id": order_id, **order, "Items": [item_body(tag)]},
        "addItem": item_body(tag),
        "processOrder": {"OrderId": order_id},
    }.get(operation_id)


# ---------------------------------------------------------------- 400: body id and URI id

# operation -> (the body field holding the order id, the requirement of the operation)
BODY_ID = {
    "updateOrder": ("Id", ids.ORD_UPD_002),
    "updateOrderFull": ("Id", ids.ORD_FULL_004),
    "processOrder": ("OrderId", ids.ORD_PROC_003),
}

# ---------------------------------------------------------------- 400: bodies the rules refuse


@dataclass(frozen=True)
class BadBody:
    name: str
    operation_id: str
    set: dict[str, Any]
    drop: tuple[str, ...]
    rule: str
    message: str | None = None


BAD_BODIES = [
    *(
        BadBody(
            f"{op}-{field}-of-another-company",
            op,
            {field: "$OTHER_LOCATION"},
            (),
            ids.ORD_ERR_003,
            ENTITY_NOT_RELATED,
        )
        for op in WRITES
        for field in ("EntityId", "ShippingEntityId")
    ),
    *(
        BadBody(f"{op}-without-{field}", op, {}, (field,), rule)
        # DEV-UPDATE-REQUIRED-FIELDS: required on create; on update by 004 only (a SHOULD).
        for op, rule in (
            ("createOrder", ids.ORD_CRT_006),
            ("createOrderFull", ids.ORD_CRT_006),
            ("updateOrder", ids.ORD_CRT_013),
            ("updateOrderFull", ids.ORD_CRT_013),
        )
        for field in ("EntityId", "OrderTypeId")
    ),
    *(
        BadBody(
            f"{op}-ShippingEntityId-and-ShippingCustomerId",
            op,
            {"ShippingEntityId": "$LOCATION", "ShippingCustomerId": "$CUSTOMER"},
            (),
            ids.ORD_CRT_008,
        )
        for op in WRITES
    ),
    *(
        BadBody(f"{op}-OrderTypeId-{value}", op, {"OrderTypeId": value}, (), ids.ORD_ENUM_002)
        for op, value in (("createOrder", 5), ("updateOrder", 0), ("createOrderFull", 9))
    ),
    *(
        BadBody(
            f"{op}-BillingCustomerId-of-another-company",
            op,
            {"BillingCustomerId": "$OTHER_CUSTOMER"},
            (),
            ids.ORD_CRT_007,
        )
        for op in ("createOrder", "updateOrder")
    ),
    *(
        BadBody(
            f"{op}-EmployeeId-not-of-the-company",
            op,
            {"EmployeeId": FOREIGN_EMPLOYEE},
            (),
            ids.ORD_CRT_009,
        )
        for op in ("createOrder", "updateOrder")
    ),
]

# ---------------------------------------------------------------- 400: not understood

# (operation, body: raw bytes or a JSON template)
NOT_UNDERSTOOD: list[tuple[str, bytes | dict[str, Any]]] = [
    ("createOrder", b'{"EntityId": 14202, "OrderTypeId": 3'),
    ("createOrder", b"EntityId=14202&OrderTypeId=3"),
    ("createOrder", b"[]"),
    ("createOrder", b"null"),
    ("createOrder", {"EntityId": "14202x", "OrderTypeId": 3}),
    ("createOrder", {"EntityId": "$LOCATION", "OrderTypeId": "Purchase"}),
    ("createOrder", {"EntityId": "$LOCATION", "OrderTypeId": 3, "OrderExpiryHours": "72h"}),
    ("createOrder", {"EntityId": "$LOCATION", "OrderTypeId": 3, "DiscountAmount": "fifteen"}),
    ("createOrder", {"EntityId": "$LOCATION", "OrderTypeId": 3, "BillingCustomerId": "Jane"}),
    ("updateOrder", b"{"),
    ("updateOrder", {"Id": "$ORDER", "EntityId": [14202], "OrderTypeId": 3}),
    ("addItem", b'{"ItemTypeId": 2,'),
    ("addItem", {"ItemTypeId": 2, "ItemStatusId": "nine"}),
    ("addItem", {"ItemTypeId": 2, "ItemStatusId": 9, "Quantity": "two"}),
    ("addItem", {"ItemTypeId": 2, "ItemStatusId": 9, "SerialNumbers": "SN-1"}),
    ("processOrder", b"{"),
    ("processOrder", {"OrderId": 12}),
    ("createOrderFull", {"EntityId": "$LOCATION", "OrderTypeId": 3, "Items": "none"}),
    ("updateOrderFull", {"Id": "$ORDER", "EntityId": "$LOCATION", "OrderTypeId": 3, "Items": {}}),
]

# ---------------------------------------------------------------- 400: items


@dataclass(frozen=True)
class BadItem:
    name: str
    item: dict[str, Any]
    rule: str


BAD_ITEMS = [
    BadItem("without-ItemStatusId", {"ItemTypeId": 2}, ids.ORD_ITEM_002),
    BadItem("without-ItemTypeId", {"ItemStatusId": 9}, ids.ORD_ITEM_002),
    BadItem("ItemTypeId-5", {"ItemTypeId": 5, "ItemStatusId": 9}, ids.ORD_ENUM_003),
    BadItem("ItemTypeId-DropShip", {"ItemTypeId": "DropShip", "ItemStatusId": 1}, ids.ORD_ENUM_003),
    *(
        BadItem(
            f"ItemTypeId-{type_id}-ItemStatusId-{status_id}",
            {"ItemTypeId": type_id, "ItemStatusId": status_id},
            ids.ORD_ENUM_005,
        )
        for type_id, status_id in ((1, 9), ("2", 1), (2, 13), (3, 10), (4, 1), (1, 15))
    ),
    BadItem(
        "TrackingInformation-without-TrackingNumber",
        {"ItemTypeId": 2, "ItemStatusId": 9, "TrackingInformation": [{"Quantity": 1}]},
        ids.ORD_ITEM_006,
    ),
    BadItem(
        "TrackingInformation-without-Quantity",
        {
            "ItemTypeId": 2,
            "ItemStatusId": 9,
            "TrackingInformation": [{"TrackingNumber": "1TTTTN4421"}],
        },
        ids.ORD_ITEM_006,
    ),
]
# DEV-UPDATE-REQUIRED-FIELDS: 003 lists the item ids Optional in an OrderFull update.
ITEM_RULE_ON_ROUTE = {(ids.ORD_ITEM_002, "updateOrderFull"): ids.ORD_ITEM_008}

# ---------------------------------------------------------------- 400: $filter

UNSUPPORTED_FILTERS = [
    "Name eq 'Errors'",
    "State ne 'Pending'",
    "State eq 'Pending' or EntityId eq 14202",
    "State eq Pending",
    "EntityId gt 0",
    "startswith(PrintableId, '1')",
    "PrintableId eq 'x' and State eq 'Created'",
    "State eq 'Pending' and",
    "1 eq 1",
]

# ---------------------------------------------------------------- 409: state transitions


@dataclass(frozen=True)
class Transition:
    steps: tuple[str, ...]  # how a new order reaches ``state``
    state: str
    operation_id: str
    requested: str | None  # the State sent (Process requests Processed)
    rule: str

    @property
    def name(self) -> str:
        return f"{self.state}-{self.operation_id}-{self.requested or 'no-State'}"


_CREATED: tuple[str, ...] = ()
_PENDING = ("Pending",)
_PROCESSED = ("Process",)
_CANCELLED = ("Pending", "Cancelled")
_COMPLETED = ("force:Completed",)
TRANSITIONS = [
    Transition(_CREATED, "Created", "updateOrder", "Processed", ids.ORD_STATE_003),
    Transition(_CREATED, "Created", "updateOrder", "Completed", ids.ORD_STATE_003),
    Transition(_PENDING, "Pending", "updateOrder", "Created", ids.ORD_STATE_003),
    Transition(_PENDING, "Pending", "updateOrder", "Processed", ids.ORD_STATE_003),
    Transition(_PROCESSED, "Processed", "updateOrder", "Pending", ids.ORD_STATE_003),
    Transition(_PROCESSED, "Processed", "updateOrder", "Created", ids.ORD_STATE_003),
    Transition(_CANCELLED, "Cancelled", "updateOrder", "Pending", ids.ORD_STATE_003),
    Transition(_COMPLETED, "Completed", "updateOrder", "Pending", ids.ORD_STATE_003),
    Transition(_PROCESSED, "Processed", "processOrder", "Processed", ids.ORD_PROC_004),
    Transition(_CANCELLED, "Cancelled", "processOrder", "Processed", ids.ORD_PROC_004),
    Transition(_COMPLETED, "Completed", "processOrder", "Processed", ids.ORD_PROC_004),
    Transition(_PROCESSED, "Processed", "updateOrderFull", None, ids.ORD_FULL_005),
    Transition(_CANCELLED, "Cancelled", "updateOrderFull", None, ids.ORD_FULL_005),
]
# Rules whose refusal is mandatory but whose status no document gives: any 4xx holds the rule,
# 409 is the SHOULD named here (DEV-ORDERFULL-REFUSAL).
REFUSAL_STATUS_RULE = {ids.ORD_FULL_005: ids.ORD_FULL_006}

# ---------------------------------------------------------------- 409: expired

# case -> (operation, extra body fields, the rule: updates are ORD-EXP-001, the rest ORD-EXP-002)
EXPIRED = {
    "PUT-Order": ("updateOrder", {}, ids.ORD_EXP_001),
    "PUT-Order-State-Pending": ("updateOrder", {"State": "Pending"}, ids.ORD_EXP_001),
    "PUT-OrderFull": ("updateOrderFull", {}, ids.ORD_EXP_001),
    "POST-Items": ("addItem", {}, ids.ORD_EXP_002),
    "POST-Process": ("processOrder", {}, ids.ORD_EXP_002),
}
# ORD-ERR-006's row is about updates; Items and Process answer it under ORD-EXP-002 alone.
EXPIRED_MESSAGE_RULE = {ids.ORD_EXP_001: ids.ORD_ERR_006, ids.ORD_EXP_002: ids.ORD_EXP_002}

# ---------------------------------------------------------------- 401: the bearer token

TOKEN_VARIANTS: dict[str, dict[str, Any]] = {
    "no-Authorization": {"token": None},
    "unknown-token": {"token": "dropship-conformance-not-a-token"},
    "Basic-scheme": {"token": None, "headers": {"Authorization": "Basic ZGM6bm90LWEtdG9rZW4="}},
}
