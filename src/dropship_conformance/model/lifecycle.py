"""The lifecycle model as tables: what the documents allow each Orders API request to do to an
order in each state (004 §OVERVIEW, §OrderFull, §ERRORS; 003 §Errors), and the orders and
items the target must show afterwards.

Each row names the statuses allowed, the state a 2xx answer leads to and the requirement the
row comes from. Where the documents allow two answers (DEV-MANUAL-CANCEL, DEV-ITEM-ORDERID,
DEV-CREATE-STATE, DEV-ORDERFULL-ITEMS, DEV-PROCESS-STATE, DEV-SHIPPING-EXCLUSIVE-EXAMPLE) a row
allows both and the machine follows the one the target chose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dropship_conformance.checks import ids
from dropship_conformance.model.linked import DEFAULT_EXPIRY_HOURS, STATES

__all__ = ["DEFAULT_EXPIRY_HOURS", "STATES"]

# 004 §ItemStatus, read as (item type -> its status ids) (DEV-ITEMSTATUS-TABLE).
ITEM_STATUSES = {1: (1, 2, 3, 4, 5, 6, 7, 8), 2: (9, 10, 11, 12, 16), 3: (13, 14, 17), 4: (15,)}
ITEM_DEFAULTS = {"Cost": 0, "ListPrice": 0, "Quantity": 0, "SellingPrice": 0}  # ORD-ITEM-003
ORDER_WRITABLE = (
    "Name",
    "BillingCustomerId",
    "DiscountAmount",
    "EntityId",
    "OrderExpiryHours",
    "OrderTypeId",
    "ShippingCustomerId",
    "ShippingEntityId",
    "TenderId",
)
ITEM_WRITABLE = (
    "Cost",
    "Description",
    "ItemStatusId",
    "ItemTypeId",
    "ListPrice",
    "ProductId",
    "Quantity",
    "SellingPrice",
    "SerialNumbers",
    "SKU",
    "TrackingInformation",
)
# Values a client may send for read-only fields; the server must not take them (ORD-CRT-002).
CLIENT_PRINTABLE_ID = "CLIENT-SENT-PRINTABLE"
CLIENT_CREATED = "2001-01-01T00:00:00+00:00"
FOREIGN_ORDER_ID = "00000000-0000-4000-8000-00000000c0de"
FRESH_ORDER_ID = ""  # a create names no order yet: any OrderId in its items is another order's


@dataclass(frozen=True)
class Row:
    """What the documents allow one request to do to an order in one state."""

    answers: tuple[int, ...]  # the statuses allowed
    becomes: str | None = None  # the state after a 2xx answer (None: unchanged)
    requirement: str = ""  # the requirement the row comes from
    messages: dict[int, str] = field(default_factory=dict)  # status -> documented message kind


def accepted(status: int, requirement: str, becomes: str | None = None) -> Row:
    return Row((status,), becomes, requirement)


def refused(requirement: str) -> Row:
    """409 "Resource state transition from {x} to {y} is invalid", state unchanged."""
    return Row((409,), None, requirement, {409: "transition"})


# The documents are silent (no row of 003/004 decides it): the state must not change, and
# either a 200 or a 409 is taken.
SILENT = Row((200, 409), None, ids.ORD_STATE_003)
# Only these manual transitions exist (004 §OVERVIEW); every other State sent is refused.
NOT_MANUAL = refused(ids.ORD_STATE_003)
TO_CANCELLED = refused(ids.ORD_STATE_002)

# PUT Orders({id}) (and PUT OrderFull in Created/Pending): (current State, State sent or None).
UPDATE: dict[tuple[str, str | None], Row] = {
    **{(state, sent): NOT_MANUAL for state in STATES for sent in STATES},
    **{(state, "Cancelled"): TO_CANCELLED for state in STATES},
    ("Created", None): accepted(200, ids.ORD_STATE_004),
    ("Created", "Created"): accepted(200, ids.ORD_STATE_004),
    ("Created", "Pending"): accepted(200, ids.ORD_STATE_001, becomes="Pending"),
    ("Pending", None): accepted(200, ids.ORD_STATE_004),
    # DEV-REPEATED-PENDING: no document shows it; a 409 is warned.
    ("Pending", "Pending"): accepted(200, ids.ORD_STATE_005),
    # DEV-MANUAL-CANCEL: 004 lets a Pending order be cancelled; 003/004's 409 row allows only
    # Created -> Pending by hand (002 §3.2 leaves cancelling to the supplier).
    ("Pending", "Cancelled"): Row((200, 409), "Cancelled", ids.ORD_STATE_002, {409: "transition"}),
    ("Processed", None): SILENT,
    ("Processed", "Processed"): SILENT,
    # ORD-STATE-002: a Cancelled order stays Cancelled; repeating the state changes nothing.
    ("Cancelled", None): SILENT,
    ("Cancelled", "Cancelled"): Row((200, 409), None, ids.ORD_STATE_002, {409: "transition"}),
    ("Completed", None): SILENT,
    ("Completed", "Completed"): SILENT,
}

# PUT OrderFull({id}) outside Created and Pending (004 §OrderFull); in them, UPDATE applies.
# The refusal is mandatory, its status is not documented: any 4xx, 409 a SHOULD (ORD-FULL-006).
FULL_REFUSAL = Row(tuple(range(400, 500)), None, ids.ORD_FULL_005)
FULL_UPDATE_REFUSED: dict[str, Row] = {
    state: FULL_REFUSAL for state in ("Processed", "Cancelled", "Completed")
}

# POST Process: (current State, has a billing customer of the company). The state a 201 leads
# to is read back and judged by ORD-PROC-002 (DEV-PROCESS-STATE); refusing to process again is
# ORD-PROC-004, a SHOULD.
NO_BILLING = Row((400,), None, ids.ORD_ERR_001, {400: "billing"})
PROCESSED_NO_BILLING = Row((409, 400), None, ids.ORD_PROC_004, {409: "transition", 400: "billing"})
PROCESS: dict[tuple[str, bool], Row] = {
    ("Created", True): accepted(201, ids.ORD_PROC_001),
    ("Created", False): NO_BILLING,
    ("Pending", True): accepted(201, ids.ORD_PROC_001),
    ("Pending", False): NO_BILLING,
    **{(state, True): refused(ids.ORD_PROC_004) for state in STATES[2:]},
    **{(state, False): PROCESSED_NO_BILLING for state in STATES[2:]},
}

# POST Items: (current State, ProductId already on the order). Adding items outside Created
# and Pending is not decided by the documents: 201 or 409.
ADD_ITEM: dict[tuple[str, bool], Row] = {
    ("Created", False): accepted(201, ids.ORD_ITEM_001),
    ("Created", True): accepted(400, ids.ORD_ITEM_005),
    ("Pending", False): accepted(201, ids.ORD_ITEM_001),
    ("Pending", True): accepted(400, ids.ORD_ITEM_005),
    **{(state, False): Row((201, 409), None, ids.ORD_ITEM_001) for state in STATES[2:]},
    **{(state, True): Row((400, 409), None, ids.ORD_ITEM_005) for state in STATES[2:]},
}

# POST Orders / OrderFull: (ShippingEntityId and ShippingCustomerId both sent, duplicate
# ProductId). Both shipping fields: 400 is the SHOULD (ORD-CRT-008); a 201 is warned and then
# judged as any create (DEV-SHIPPING-EXCLUSIVE-EXAMPLE).
CREATE: dict[tuple[bool, bool], Row] = {
    (False, False): accepted(201, ids.ORD_CRT_001, becomes="Created"),
    (True, False): accepted(400, ids.ORD_CRT_008),
    (False, True): accepted(400, ids.ORD_ITEM_005),
    (True, True): accepted(400, ids.ORD_ITEM_005),
}
# The content rule of a create, by operation.
CREATED_BY = {"createOrder": ids.ORD_CRT_001, "createOrderFull": ids.ORD_FULL_001}
# A State no legal transition from Created reaches, sent on create (DEV-CREATE-STATE): not
# taken, either ignored (201, Created) or refused (400, or 409 naming the transition).
ILLEGAL_ON_CREATE = ("Processed", "Cancelled", "Completed")

# The requirement a 2xx body of each operation is judged under when it breaks the OpenAPI.
SCHEMA_REQUIREMENT = {
    "createOrder": ids.ORD_CRT_001,
    "createOrderFull": ids.ORD_FULL_001,
    "addItem": ids.ORD_ITEM_001,
    "updateOrder": ids.ORD_UPD_001,
    "updateOrderFull": ids.ORD_FULL_004,
    "processOrder": ids.ORD_PROC_001,
    "getOrder": ids.ORD_UPD_003,
    "listItems": ids.ORD_ITEM_007,
    "getOrderFull": ids.ORD_FULL_002,
    "listOrderFull": ids.ORD_FULL_003,
    "listOrders": ids.ORD_FLT_001,
}
# The rows of the reads: each read answers 200 under its own requirement.
READS = {
    "getOrder": accepted(200, ids.ORD_UPD_003),
    "listItems": accepted(200, ids.ORD_ITEM_007),
    "getOrderFull": accepted(200, ids.ORD_FULL_002),
    "listOrderFull": accepted(200, ids.ORD_FULL_003),
    "listOrders": accepted(200, ids.ORD_FLT_001),
}
# $filter State eq ... and EntityId eq ...: shown in the documents with 'Pending' only
# (DEV-FILTER-OTHER-STATES).
STATE_FILTER = {
    state: ids.ORD_FLT_002 if state == "Pending" else ids.ORD_FLT_005 for state in STATES
}


def create_row(row: Row, state: Any) -> Row:
    """A create sending a State no transition from Created reaches may also be refused."""
    if state not in ILLEGAL_ON_CREATE:
        return row
    answers = (*row.answers, *(s for s in (400, 409) if s not in row.answers))
    return Row(answers, row.becomes, row.requirement, {**row.messages, 409: "transition"})


def foreign_order_id(row: Row, items: list[dict[str, Any]], order_id: str) -> Row:
    """DEV-ITEM-ORDERID: an item naming another order is adopted by the URI's order, or the
    request is refused with 400 and one of the two id-mismatch messages."""
    foreign = any(
        "OrderId" in item and str(item["OrderId"]).lower() != order_id.lower() for item in items
    )
    if not foreign or 400 in row.answers:
        return row
    return Row((*row.answers, 400), row.becomes, row.requirement, {**row.messages, 400: "mismatch"})


def overlay(invalid: Row | None, row: Row) -> Row:
    """A body the documents reject meets a state row: no 2xx is right, either refusal is."""
    if invalid is None:
        return row
    refusals = tuple(status for status in row.answers if status >= 400)
    return Row(
        invalid.answers + refusals, None, invalid.requirement, {**row.messages, **invalid.messages}
    )


def duplicate_products(items: list[dict[str, Any]]) -> bool:
    products = [i["ProductId"] for i in items if i.get("ProductId") is not None]
    return len(products) != len(set(products))


def sent_item(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k in ITEM_WRITABLE}


def writable(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k in ORDER_WRITABLE}


# Every requirement a row of the tables above is judged under.
ROW_REQUIREMENTS = tuple(
    sorted(
        {
            row.requirement
            for table in (UPDATE, FULL_UPDATE_REFUSED, PROCESS, ADD_ITEM, CREATE, READS)
            for row in table.values()
        }
        | set(CREATED_BY.values())
        | set(STATE_FILTER.values())
        | {ids.ORD_CRT_014, ids.ORD_FLT_003}
    )
)


@dataclass
class ItemModel:
    id: str
    sent: dict[str, Any]
    status_known: bool = True  # False once Process may have moved the item's status


@dataclass
class OrderModel:
    id: str
    printable_id: str
    created: str
    state: str
    fields: dict[str, Any]  # the writable fields as last sent (with the 72-hour default)
    items: list[ItemModel] = field(default_factory=list)
    # DEV-EXPIRY-EXAMPLE: once an update resent OrderExpiryHours, the hours may count from it.
    hours_resent: bool = False

    @property
    def has_billing(self) -> bool:
        return bool(self.fields.get("BillingCustomerId"))
