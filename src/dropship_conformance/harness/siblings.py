"""The sibling matrix: every operation x tenant x order state, with the outcome the documents
give and the requirement that gives it.

A rule enforced on one endpoint is easily forgotten on its sibling (PUT Order, PUT OrderFull
and POST Items all change an order; two endpoints update a dropship order). Each ``Row`` states
one documented outcome for a set of operations, tenants and states; the cells are their product.
A cell no row covers has no documented outcome and is not in the matrix. Adding a rule is
adding a row; ``contract_tests/test_siblings.py`` runs every cell it can build.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

from dropship_conformance.checks import ids

# Tenants: who addresses the order, and how.
OWN = "own"  # our order under our Companies/Suppliers URI
OTHER_URI = "other-uri"  # our order under the other company's (supplier's) URI, our token
OTHER_ORDER = "other-order"  # the other tenant's order under our URI, our token
UNKNOWN = "unknown"  # an id naming no order
TENANTS = (OWN, OTHER_URI, OTHER_ORDER, UNKNOWN)

# Order states, and an order created with OrderExpiryHours 0 (expired at once, ORD-EXP-001).
CREATED, PENDING, PROCESSED, CANCELLED, COMPLETED, EXPIRED = (
    "Created",
    "Pending",
    "Processed",
    "Cancelled",
    "Completed",
    "Expired",
)
STATES = (CREATED, PENDING, PROCESSED, CANCELLED, COMPLETED, EXPIRED)
OPEN = (CREATED, PENDING)
CLOSED = (PROCESSED, CANCELLED, COMPLETED)
NONE = "-"  # operations that address no order (collections, feed reads, unknown ids)

# Operations by what they address.
ORDER_READS = ("getOrder", "listItems", "getOrderFull")
ORDER_WRITES = ("updateOrder", "updateOrderFull", "addItem", "processOrder")
ORDER_OPERATIONS = ORDER_READS + ORDER_WRITES
COLLECTIONS = ("createOrder", "createOrderFull", "listOrders", "listOrderFull")
DROPSHIP_UPDATES = ("putOrderStatusUpdate", "putItemStatusUpdate")
FEED_READS = ("getNotifications", "getNotificationsPage")
OPERATIONS = COLLECTIONS + ORDER_OPERATIONS + DROPSHIP_UPDATES + FEED_READS

# Outcomes: the statuses the documents give; "accepted" also requires the change to show.
SUCCESS = tuple(range(200, 300))
CLIENT_ERROR = tuple(range(400, 500))
NOT_FOUND = (404,)
CONFLICT = (409,)


@dataclass(frozen=True)
class Row:
    """One documented outcome: ``operations`` x ``tenants`` x ``states`` answer ``statuses``."""

    operations: tuple[str, ...]
    tenants: tuple[str, ...]
    states: tuple[str, ...]
    statuses: tuple[int, ...]
    rule: str

    @property
    def accepted(self) -> bool:
        return self.statuses == SUCCESS


ROWS: tuple[Row, ...] = (
    # ---- own tenant, an order in each state
    Row(("getOrder",), (OWN,), OPEN + CLOSED, SUCCESS, ids.ORD_UPD_003),
    Row(("listItems",), (OWN,), OPEN + CLOSED, SUCCESS, ids.ORD_ITEM_007),
    Row(("getOrderFull",), (OWN,), OPEN + CLOSED, SUCCESS, ids.ORD_FULL_002),
    Row(("getOrder", "listItems"), (OWN,), (EXPIRED,), SUCCESS, ids.ORD_EXP_002),
    Row(("updateOrder", "updateOrderFull"), (OWN,), OPEN, SUCCESS, ids.ORD_STATE_004),
    Row(("updateOrderFull",), (OWN,), CLOSED, CLIENT_ERROR, ids.ORD_FULL_005),
    Row(("updateOrder", "updateOrderFull"), (OWN,), (EXPIRED,), CONFLICT, ids.ORD_EXP_001),
    Row(("addItem",), (OWN,), OPEN, SUCCESS, ids.ORD_ITEM_001),
    Row(("addItem", "processOrder"), (OWN,), (EXPIRED,), CONFLICT, ids.ORD_EXP_002),
    Row(("processOrder",), (OWN,), OPEN, SUCCESS, ids.ORD_PROC_001),
    Row(("processOrder",), (OWN,), CLOSED, CONFLICT, ids.ORD_PROC_004),
    # ---- another company, in every state: a 4xx that shows and changes nothing
    Row(ORDER_OPERATIONS, (OTHER_URI, OTHER_ORDER), STATES, CLIENT_ERROR, ids.AUTH_004),
    Row(ORDER_OPERATIONS, (OTHER_ORDER,), STATES, NOT_FOUND, ids.AUTH_006),
    # ---- an id naming no order
    Row(ORDER_OPERATIONS, (UNKNOWN,), (NONE,), NOT_FOUND, ids.ORD_ERR_005),
    # ---- collections
    Row(("createOrder",), (OWN,), (NONE,), SUCCESS, ids.ORD_CRT_001),
    Row(("createOrderFull",), (OWN,), (NONE,), SUCCESS, ids.ORD_FULL_001),
    Row(("listOrders",), (OWN,), (NONE,), SUCCESS, ids.ORD_FLT_001),
    Row(("listOrderFull",), (OWN,), (NONE,), SUCCESS, ids.ORD_FULL_003),
    Row(COLLECTIONS, (OTHER_URI,), (NONE,), CLIENT_ERROR, ids.AUTH_004),
    # ---- Supplier Orders API: the two update endpoints and the feed reads
    Row(("putOrderStatusUpdate",), (OWN,), (NONE,), SUCCESS, ids.DS_UPD_001),
    Row(("putItemStatusUpdate",), (OWN,), (NONE,), SUCCESS, ids.DS_ITEM_001),
    Row(DROPSHIP_UPDATES, (OTHER_URI, OTHER_ORDER), (NONE,), CLIENT_ERROR, ids.AUTH_003),
    Row(DROPSHIP_UPDATES, (UNKNOWN,), (NONE,), CLIENT_ERROR, ids.DS_ERR_005),
    Row(("getNotifications",), (OWN,), (NONE,), SUCCESS, ids.DS_FEED_001),
    Row(FEED_READS, (OTHER_URI,), (NONE,), CLIENT_ERROR, ids.AUTH_002),
)


# The rule an accepted write's effect is judged by, read back after it (a status alone is no
# evidence that the change was made).
EFFECT_RULES = {
    "createOrder": ids.ORD_FLT_001,
    "createOrderFull": ids.ORD_FULL_003,
    "updateOrder": ids.ORD_UPD_001,
    "updateOrderFull": ids.ORD_FULL_004,
    "addItem": ids.ORD_ITEM_007,
    "processOrder": ids.ORD_PROC_002,
    "putOrderStatusUpdate": ids.DS_UPD_006,
    "putItemStatusUpdate": ids.DS_EVT_006,
}


# How a new order reaches each state: a State by update, Process, or the sandbox's force.
STEPS: dict[str, tuple[str, ...]] = {
    CREATED: (),
    PENDING: ("Pending",),
    PROCESSED: ("Process",),
    CANCELLED: ("Pending", "Cancelled"),
    COMPLETED: ("force:Completed",),
    EXPIRED: (),
}
# The State a read-back shows for each state of the matrix.
SHOWN_STATE = {**{state: state for state in STATES}, EXPIRED: "Created"}


@dataclass(frozen=True)
class Cell:
    """One operation by one tenant on an order in one state, and every row that judges it."""

    operation: str
    tenant: str
    state: str
    rows: tuple[Row, ...]

    @property
    def id(self) -> str:
        return f"{self.operation}-{self.tenant}-{self.state}"

    @property
    def accepted(self) -> bool:
        """The documents want the request to take effect (else it must change nothing)."""
        return any(row.accepted for row in self.rows)

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(row.rule for row in self.rows)

    @property
    def decides(self) -> tuple[str, ...]:
        """The rules the cell's test decides: its rows', and the rule an accepted write's
        effect is read back by."""
        effect = EFFECT_RULES.get(self.operation) if self.accepted else None
        return self.rules + ((effect,) if effect is not None else ())


# The quick (default) run: another tenant's cells in these states only; ``--depth deep`` runs
# every state. Isolation is least likely to hang on Pending, Cancelled or Completed alone.
QUICK_STATES = (CREATED, PROCESSED, EXPIRED, NONE)


def quick(cell: Cell) -> bool:
    return cell.tenant in (OWN, UNKNOWN) or cell.state in QUICK_STATES


def cells(rows: tuple[Row, ...] = ROWS) -> list[Cell]:
    """The matrix: one cell per (operation, tenant, state) some row covers, in table order."""
    found: dict[tuple[str, str, str], list[Row]] = {}
    for row in rows:
        for key in product(row.operations, row.tenants, row.states):
            found.setdefault(key, []).append(row)
    made = [Cell(*key, tuple(judged)) for key, judged in found.items()]
    mixed = [c.id for c in made if c.accepted and not all(r.accepted for r in c.rows)]
    if mixed:
        raise ValueError(f"cells both accepted and refused by the table: {mixed}")
    return made
