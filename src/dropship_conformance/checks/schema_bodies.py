"""What the bodies of the schema suite's answers must hold beyond their schema: enumeration
names that name their ids, the fields sent echoed back, UTC offsets on date-times, feed
documents obeying the feed rules. :mod:`dropship_conformance.checks.schema` says which
requirement each decides."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from dropship_conformance import openapi
from dropship_conformance.checks import ids
from dropship_conformance.checks.primitives import same_guid, status_names
from dropship_conformance.feed import atom, rules, schemas

# ----- enumerations: a schema failure at one of these fields breaks its rule too -----

FIELD_RULES: dict[str, str] = {
    "State": ids.ORD_ENUM_001,
    "OrderType": ids.ORD_ENUM_002,
    "OrderTypeId": ids.ORD_ENUM_002,
    "ItemType": ids.ORD_ENUM_003,
    "ItemTypeId": ids.ORD_ENUM_003,
    "ItemStatus": ids.ORD_ENUM_004,
    "ItemStatusId": ids.ORD_ENUM_004,
    "Status": ids.DS_STAT_001,
}


def _enumeration(schema: str) -> list[dict[str, Any]]:
    return list(openapi.document("orders")["components"]["schemas"][schema]["x-enumeration"])


ORDER_STATES = {e["name"] for e in _enumeration("OrderState")}
ORDER_TYPES = {e["id"]: e["name"] for e in _enumeration("OrderTypeId")}
ITEM_TYPES = {e["id"]: e["name"] for e in _enumeration("ItemTypeId")}
ITEM_STATUSES = {e["id"]: (e["name"], e["itemType"]) for e in _enumeration("OrdersItemStatusId")}


def _as_id(value: Any) -> Any:
    """A table key: ItemTypeId is a number or a numeric string (DEV-ITEMTYPEID-STRING); any
    value a table cannot hold (lists, objects) becomes None."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value if isinstance(value, str | int | float) and not isinstance(value, bool) else None


def _objects(value: Any, depth: int = 3) -> Iterator[dict[str, Any]]:
    if depth == 0:
        return
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _objects(item, depth - 1)
    elif isinstance(value, list):
        for item in value[:100]:
            yield from _objects(item, depth - 1)


def _status_unknown(status: Any) -> bool:
    if isinstance(status, str):
        return status not in status_names().values()
    return isinstance(status, bool) or _as_id(status) not in status_names()


def enumeration_problems(body: Any) -> dict[str, list[str]]:
    """Which enumeration rule each object of a 2xx body breaks (names that do not name their
    ids), so a schema failure is charged to the enumeration's requirement."""
    found: dict[str, list[str]] = {}
    for obj in _objects(body):
        if "State" in obj and _as_id(obj["State"]) not in ORDER_STATES:
            found.setdefault(ids.ORD_ENUM_001, []).append(f"State {obj['State']!r}")
        if "OrderTypeId" in obj:
            name = ORDER_TYPES.get(_as_id(obj["OrderTypeId"]))
            if name is None or obj.get("OrderType", name) != name:
                found.setdefault(ids.ORD_ENUM_002, []).append(
                    f"OrderType {obj.get('OrderType')!r} for OrderTypeId {obj['OrderTypeId']!r}"
                )
        item_type = ITEM_TYPES.get(_as_id(obj.get("ItemTypeId")))
        if "ItemTypeId" in obj and (
            item_type is None or obj.get("ItemType", item_type) != item_type
        ):
            found.setdefault(ids.ORD_ENUM_003, []).append(
                f"ItemType {obj.get('ItemType')!r} for ItemTypeId {obj['ItemTypeId']!r}"
            )
        if "ItemStatusId" in obj:
            name, belongs_to = ITEM_STATUSES.get(_as_id(obj["ItemStatusId"]), (None, None))
            if name is None or obj.get("ItemStatus", name) != name:
                found.setdefault(ids.ORD_ENUM_004, []).append(
                    f"ItemStatus {obj.get('ItemStatus')!r} for ItemStatusId {obj['ItemStatusId']!r}"
                )
            elif item_type is not None and belongs_to != item_type:
                found.setdefault(ids.ORD_ENUM_005, []).append(
                    f"ItemStatusId {obj['ItemStatusId']!r} ({name}) of ItemType {item_type!r}"
                )
        if "Status" in obj and _status_unknown(obj["Status"]):
            found.setdefault(ids.DS_STAT_001, []).append(f"Status {obj['Status']!r}")
    return found


def json_keys(value: Any, depth: int = 3) -> set[str]:
    if depth == 0:
        return set()
    if isinstance(value, dict):
        keys = set(value)
        for item in value.values():
            keys |= json_keys(item, depth - 1)
        return keys
    if isinstance(value, list):
        return set().union(*(json_keys(item, depth - 1) for item in value[:50]))
    return set()


# ----- a 2xx answer holds what was sent -----

_ORDER_ECHO = (
    "Name",
    "BillingAddressId",
    "BillingCustomerId",
    "DiscountAmount",
    "DiscountCode",
    "DiscountDescription",
    "EmployeeId",
    "EntityId",
    "OrderExpiryHours",
    "OrderTypeId",
    "ShippingAddressId",
    "ShippingCustomerId",
    "ShippingEntityId",
    "TenderId",
)
_ITEM_ECHO = (
    "Cost",
    "Description",
    "Index",
    "ItemStatusId",
    "ItemTypeId",
    "ListPrice",
    "Notes",
    "ProductId",
    "Quantity",
    "SellingPrice",
    "SerialNumbers",
    "SKU",
    "ShippingOptionId",
    "SupplierEntityId",
    "SupplierReference",
    "TrackingInformation",
)
#: The fields a 2xx answer must hold as sent (server-filled fields may be added), per operation.
ECHOED: dict[str, tuple[str, ...]] = {
    "createOrder": _ORDER_ECHO,
    "updateOrder": _ORDER_ECHO,
    "createOrderFull": _ORDER_ECHO,
    "updateOrderFull": _ORDER_ECHO,
    "addItem": _ITEM_ECHO,
    "processOrder": (),
}
#: Operations whose answer names the order of the URI in its OrderId.
URI_ORDER_ECHO = ("addItem", "processOrder")
_GUID_FIELDS = ("BillingAddressId", "BillingCustomerId", "ShippingAddressId", "ShippingCustomerId")


def _same_value(name: str, sent: Any, found: Any) -> bool:
    """JSON by value, read as the documents allow: GUIDs in any case, ItemTypeId 1 = "1"
    (DEV-ITEMTYPEID-STRING), ShippingEntityId 0 = none, tracking entries by their two fields."""
    if name in _GUID_FIELDS:
        return same_guid(str(sent), found)
    if name == "ItemTypeId":
        return str(sent) == str(found)
    if name == "ShippingEntityId":
        return bool((sent or 0) == (found or 0))
    if name == "TrackingInformation" and isinstance(found, list):
        fields = ("Quantity", "TrackingNumber")
        shown = [{k: e.get(k) for k in fields} if isinstance(e, dict) else e for e in found]
        return bool(sent == shown)
    return isinstance(sent, bool) == isinstance(found, bool) and bool(sent == found)


def echo_problems(operation_id: str, sent: Any, uri_order: str | None, answer: Any) -> list[str]:
    """What a 2xx answer of ``operation_id`` lost or changed of the request."""
    if not isinstance(answer, dict):
        return []
    problems = []
    if operation_id in URI_ORDER_ECHO and uri_order is not None:
        found = answer.get("OrderId")
        if not same_guid(found, uri_order):
            problems.append(f"OrderId {found!r}, the URI names {uri_order}")
    body = sent if isinstance(sent, dict) else {}
    for name in ECHOED.get(operation_id, ()):
        if body.get(name) is not None and not _same_value(name, body[name], answer.get(name)):
            problems.append(f"{name} {answer.get(name)!r}, sent {body[name]!r}")
    return problems


# ----- Orders API date-times carry a UTC offset (DEV-DATETIME-OFFSET) -----

TIMESTAMP_FIELDS = ("CreatedDateUtc", "OrderExpiryDate")
_OFFSET = re.compile(r"(Z|[+-]\d{2}:\d{2})$")


def timestamps(value: Any, depth: int = 3) -> Iterator[tuple[str, Any]]:
    """The TIMESTAMP_FIELDS of a JSON body, as (name, value)."""
    if depth == 0:
        return
    items = value.items() if isinstance(value, dict) else []
    for key, item in items:
        if key in TIMESTAMP_FIELDS:
            yield key, item
        yield from timestamps(item, depth - 1)
    for item in value[:100] if isinstance(value, list) else []:
        yield from timestamps(item, depth - 1)


def missing_offsets(body: Any) -> list[str]:
    return [
        f"{key}={value!r}"
        for key, value in timestamps(body)
        if isinstance(value, str) and not _OFFSET.search(value)
    ]


# ----- feed documents: the feed rules, entry payloads and the page asked for -----

#: An entry payload's own schema (dropship-events.xsd) and the rule of its kind.
PAYLOAD_RULES = {"order-created": ids.DS_EVT_001, "order-status-updated": ids.DS_EVT_005}


def feed_role(content: bytes) -> rules.Role:
    """An archive page links to a newer page (or says fh:archive); the current document does not."""
    try:
        document = atom.read_feed(content)
    except ValueError:
        return "current"
    return "archive" if document.is_archive or document.link("next-archive") else "current"


def _payload_violations(document: atom.FeedDocument) -> Iterator[rules.Violation]:
    for index, entry in enumerate(document.entries):
        rule = PAYLOAD_RULES.get(entry.payload_kind or "")
        if rule is None or entry.payload is None:
            continue
        for message in schemas.validate_event(entry.payload):
            yield rules.Violation(rule, f"entry {index} ({entry.id}): {message}")


def _page_identity_violations(
    document: atom.FeedDocument, requested: str
) -> Iterator[rules.Violation]:
    """Pages({PageId}) answers the page of that id (its self link), not some other document:
    a PageId naming no page answers 400 (DS-ERR-002)."""
    self_link = document.link("self") or ""
    served = self_link.rsplit("Pages(", 1)[-1].split(")", 1)[0] if "Pages(" in self_link else ""
    if served.lower() != requested.lower():
        yield rules.Violation(
            ids.DS_ERR_002,
            f"Pages({requested}) answered 200 with the document whose self link is "
            f"{self_link or '(none)'}; a PageId naming no page answers 400",
        )


def feed_violations(content: bytes, requested_page: str) -> list[rules.Violation]:
    """What a 200 feed answer breaks: the feed rules of its role, the payloads' schema and,
    for Pages({PageId}), the page asked for (``requested_page``, empty for the current one)."""
    violations = rules.check_document(content, feed_role(content))
    try:
        document = atom.read_feed(content)
    except ValueError:
        return violations  # not a feed: DS-FEED-002 says so
    violations += _payload_violations(document)
    if requested_page:
        violations += _page_identity_violations(document, requested_page)
    return violations


def feed_rule_ids(content: bytes) -> set[str]:
    """The rules a passing feed check evaluated on this document."""
    role = feed_role(content)
    found = {c.requirement_id for c in rules.rules_for(role)}
    try:
        kinds = {entry.payload_kind or "" for entry in atom.read_feed(content).entries}
    except ValueError:
        kinds = set()
    return found | {PAYLOAD_RULES[k] for k in kinds if k in PAYLOAD_RULES}
