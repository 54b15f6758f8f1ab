"""The cases of the Supplier Orders API errors suite, as tables: the documented error rows
(001 §ERRORS, 000 §Errors) with their status and message, the undocumented refusals the
catalogue decides (DEV-DROPSHIP-UNDOCUMENTED-ERRORS), and invalid update bodies. "$NAME" strings
stand for this run's values (the suite's Scene).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from dropship_conformance.checks import ids

BAD_SUPPLIER = "Cannot find supplier identifier in the uri"
BAD_PAGE = "The request is invalid"
INVALID_TOKEN = "Invalid token"
NOT_FOUND = "Not found"
OPERATIONS = [
    "getNotifications",
    "getNotificationsPage",
    "putOrderStatusUpdate",
    "putItemStatusUpdate",
]
UPDATES = ["putOrderStatusUpdate", "putItemStatusUpdate"]

# The otherwise valid updates every invalid one departs from in one respect. Valid in every
# edition: 000 makes an item's TrackingInfo Required, 001 wants tracking and carrier with
# Shipped (DEV-ITEM-TRACKING-REQUIRED, DEV-SHIPPED-TRACKING).
ITEM = {
    "Sku": "$SKU",
    "Status": "Shipped",
    "TrackingInfo": "1Z863YY60392796356",
    "ShippingProvider": "UPS",
}
VALID_BODIES: dict[str, Any] = {
    "putOrderStatusUpdate": {"Id": "$ID", "Status": "Ordered"},
    "putItemStatusUpdate": {"Id": "$ID", "ItemInformation": [ITEM]},
}

# SupplierId of the URI -> case id (DS-ERR-001).
SUPPLIER_IDS = {
    "letters": "abc",
    "negative": "-60455",
    "zero": "0",
    "decimal": "60455.0",
    "beyond-int32": "99999999999",
    "naming-no-supplier": "2147483646",
}


class Credentials(NamedTuple):
    """A bad credential: the token sent (None: no bearer), the scheme the right token is sent
    under instead, and the requirement whose row or reading decides the status."""

    name: str
    token: str | None
    scheme: str | None
    rule: str


# DEV-AUTH-STATUS: 001 §ERRORS documents 401 "Invalid token" for an incorrect token only
# (DS-ERR-003); a missing header or another scheme has no row, so any 4xx refusal passes
# AUTH-001 and the 401 is AUTH-005 (SHOULD).
CREDENTIALS = [
    Credentials("unknown-token", "wrong", None, ids.DS_ERR_003),
    Credentials("no-authorization", None, None, ids.AUTH_005),
    Credentials("other-scheme", None, "Token", ids.AUTH_005),
]


class UnknownPath(NamedTuple):
    name: str
    method: str
    path: str
    body_of: str | None  # the operation whose valid body is sent


UNKNOWN_PATHS = [
    UnknownPath("Zxppliers-feed", "GET", "/Zxppliers({supplier})/Notifications", None),
    UnknownPath("Notification", "GET", "/Suppliers({supplier})/Notification", None),
    UnknownPath("Feed", "GET", "/Suppliers({supplier})/Feed", None),
    UnknownPath(
        "Zxppliers-order-status",
        "PUT",
        "/Zxppliers({supplier})/Orders({order})/OrderStatusUpdate",
        "putOrderStatusUpdate",
    ),
    UnknownPath(
        "StatusUpdate",
        "PUT",
        "/Suppliers({supplier})/Orders({order})/StatusUpdate",
        "putOrderStatusUpdate",
    ),
    UnknownPath(
        "Zxppliers-item-status",
        "PUT",
        "/Zxppliers({supplier})/Orders({order})/ItemStatusUpdate",
        "putItemStatusUpdate",
    ),
]

UNKNOWN_SKU = {**ITEM, "Sku": "DC-NO-SUCH-SKU"}
SECOND_ITEM = {**ITEM, "Sku": "$SECOND_SKU"}  # the same update for the order's second SKU
UNKNOWN_STATUSES = ["Exception", 9, -1, ""]
# DEV-STATUS-NAME-OR-ID: a String field holding an id; refused or read as that id, both pass.
NUMERIC_STRING_STATUS = "6"


def without(item: dict[str, Any], field: str) -> dict[str, Any]:
    return {key: value for key, value in item.items() if key != field}


# The SHOULD that names the exact status of a refusal whose MUST accepts any 4xx
# (DEV-DROPSHIP-UNDOCUMENTED-ERRORS) -> that status.
EXACT_STATUSES = {ids.DS_ERR_007: 404, ids.DS_UPD_009: 400, ids.DS_ITEM_010: 400}


class InvalidUpdate(NamedTuple):
    operation: str
    uri_id: str  # the OrderId of the URI
    template: dict[str, Any]  # the body
    rule: str
    status: int | None  # None: any 4xx
    exact: str | None  # the SHOULD that names the exact status
    case: str
    valid: dict[str, Any] | None = None  # the update it departs from; None: VALID_BODIES'

    @property
    def name(self) -> str:
        return f"{self.operation.removeprefix('put')}-{self.case}"


_INVALID_UPDATE_ROWS: list[tuple[Any, ...]] = [
    (
        "putOrderStatusUpdate",
        "$ID",
        {"Status": "Ordered"},
        ids.DS_UPD_003,
        None,
        ids.DS_UPD_009,
        "no-Id",
    ),
    (
        "putOrderStatusUpdate",
        "$ID",
        {"Id": "$ID"},
        ids.DS_UPD_003,
        None,
        ids.DS_UPD_009,
        "no-Status",
    ),
    (
        "putOrderStatusUpdate",
        "$ID",
        {"Id": "$ID", "Status": None},
        ids.DS_UPD_003,
        None,
        ids.DS_UPD_009,
        "null-Status",
    ),
    ("putOrderStatusUpdate", "$ID", {}, ids.DS_UPD_003, None, ids.DS_UPD_009, "empty-object"),
    (
        "putItemStatusUpdate",
        "$ID",
        {"ItemInformation": [ITEM]},
        ids.DS_ITEM_003,
        None,
        ids.DS_ITEM_010,
        "no-Id",
    ),
    ("putItemStatusUpdate", "$ID", {"Id": "$ID"}, ids.DS_ITEM_008, 400, None, "no-ItemInformation"),
    (
        "putItemStatusUpdate",
        "$ID",
        {"Id": "$ID", "ItemInformation": []},
        ids.DS_ITEM_008,
        400,
        None,
        "empty-ItemInformation",
    ),
    (
        "putItemStatusUpdate",
        "$ID",
        {"Id": "$ID", "ItemInformation": None},
        ids.DS_ITEM_008,
        400,
        None,
        "null-ItemInformation",
    ),
    (
        "putItemStatusUpdate",
        "$ID",
        {"Id": "$ID", "ItemInformation": [without(ITEM, "Sku")]},
        ids.DS_ITEM_004,
        None,
        ids.DS_ITEM_010,
        "item-without-Sku",
    ),
    (
        "putItemStatusUpdate",
        "$ID",
        {"Id": "$ID", "ItemInformation": [without(ITEM, "Status")]},
        ids.DS_ITEM_004,
        None,
        ids.DS_ITEM_010,
        "item-without-Status",
    ),
    (
        "putItemStatusUpdate",
        "$ID",
        {"Id": "$ID", "ItemInformation": [ITEM, without(ITEM, "Sku")]},
        ids.DS_ITEM_004,
        None,
        ids.DS_ITEM_010,
        "second-item-without-Sku",
    ),
    (
        # A server must not take a missing Status from an earlier entry (000 marks Status
        # Required in every ItemInformation entry): each entry names a SKU of its own.
        "putItemStatusUpdate",
        "$ID",
        {"Id": "$ID", "ItemInformation": [ITEM, without(SECOND_ITEM, "Status")]},
        ids.DS_ITEM_004,
        None,
        ids.DS_ITEM_010,
        "second-item-without-Status",
        {"Id": "$ID", "ItemInformation": [ITEM, SECOND_ITEM]},
    ),
    (
        "putItemStatusUpdate",
        "$ID",
        {"Id": "$ID", "ItemInformation": [UNKNOWN_SKU]},
        ids.DS_ITEM_005,
        400,
        None,
        "unknown-Sku",
    ),
    (
        "putItemStatusUpdate",
        "$ID",
        {"Id": "$ID", "ItemInformation": [ITEM, UNKNOWN_SKU]},
        ids.DS_ITEM_005,
        400,
        None,
        "known-and-unknown-Sku",
    ),
    (
        "putItemStatusUpdate",
        "$ID",
        {"Id": "$ID", "ItemInformation": [{**ITEM, "Sku": "$OTHER_SKU"}]},
        ids.DS_ITEM_005,
        400,
        None,
        "Sku-of-another-order",
    ),
    (
        "putOrderStatusUpdate",
        "$RANDOM",
        {"Id": "$RANDOM", "Status": "Ordered"},
        ids.DS_ERR_005,
        None,
        ids.DS_ERR_007,
        "unknown-order",
    ),
    (
        "putItemStatusUpdate",
        "$RANDOM",
        {"Id": "$RANDOM", "ItemInformation": [ITEM]},
        ids.DS_ERR_005,
        None,
        ids.DS_ERR_007,
        "unknown-order",
    ),
]

INVALID_UPDATES = [InvalidUpdate(*row) for row in _INVALID_UPDATE_ROWS]

# (OrderId of the URI, the raw body) of a malformed update (DS-ERR-006) -> case id.
MALFORMED = {
    "not-json": ("$ID", b"{not json"),
    "empty-body": ("$ID", b""),
    "json-string": ("$ID", b'"Shipped"'),
    "Id-not-a-GUID": ("not-a-guid", b'{"Id": "not-a-guid", "Status": "Ordered"}'),
}
