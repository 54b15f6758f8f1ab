"""Checks of the order state flow (ORD-STATE, ORD-PROC, ORD-UPD): the answer a request gets in
the order's state, the documented message of a refusal, and the order read back as the
lifecycle model (:mod:`dropship_conformance.model.lifecycle`) says it must be.

Which requirement an answer or a read-back is judged under is a row of the model's tables, so
these checks are registered under every row they judge and the caller picks the row with
:meth:`Check.under <dropship_conformance.checks.registry.Check.under>`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from dropship_conformance.checks import ids
from dropship_conformance.checks.primitives import describe
from dropship_conformance.checks.registry import Observation, check, none_of
from dropship_conformance.client.http import Reply
from dropship_conformance.model.lifecycle import (
    CREATED_BY,
    FULL_UPDATE_REFUSED,
    ROW_REQUIREMENTS,
    UPDATE,
    OrderModel,
    Row,
)

# Two clock reads of one create may differ; the rule is about hours (ORD-CRT-003).
EXPIRY_TOLERANCE = timedelta(seconds=1)
TRANSITION = "Resource state transition from {x} to {y} is invalid"
# 003/004 §Errors: the two 400 messages of an OrderId that is not the URI's.
ID_MISMATCH = (
    r"The request is invalid|Uri parameter representing resource id and resource id found in "
    r"the request content don't match"
)
# Which requirement judges the text of a documented error message.
MESSAGE_REQUIREMENT = {
    "transition": ids.ORD_ERR_007,
    "billing": ids.ORD_ERR_001,
    "mismatch": ids.ORD_ITEM_004,
}
# The rules an order read back is judged under: the row of the change before it, or the
# change's own content rule.
CONTENT_RULES = tuple(
    sorted(
        {row.requirement for table in (UPDATE, FULL_UPDATE_REFUSED) for row in table.values()}
        | set(CREATED_BY.values())
        | {ids.ORD_ITEM_005, ids.ORD_UPD_001, ids.ORD_UPD_003, ids.ORD_FULL_004}
    )
)


def billing_message(company_id: int) -> str:
    """004 §ERRORS row, for an order without a billing customer ({x} has no id to name): its
    Description "Bad Request" or its Reason (DEV-BILLING-MESSAGE)."""
    return (
        r"Bad Request|(?:Bad Request\W*)?Billing Customer \(id=(?:|null|None|"
        r"00000000-0000-0000-0000-000000000000)\) not found for company "
        + re.escape(str(company_id))
        + r"\. Proccessing an Order requires a Billing Customer on the Order"
    )


@check(*ROW_REQUIREMENTS)
def answered_as_row(operation_id: str, row: Row, reply: Reply, x: str, y: str) -> Observation:
    statuses = " or ".join(map(str, row.answers))
    return Observation(
        reply.status in row.answers,
        f"{operation_id} answers {statuses} (order {x or '-'}, requested {y or '-'})",
        describe(reply),
    )


@check(*MESSAGE_REQUIREMENT.values())
def documented_message(kind: str, body: Any, company_id: int, x: str, y: str) -> Observation:
    message = body.get("Message") if isinstance(body, dict) else None
    pattern = {
        "transition": re.escape(TRANSITION.format(x=x, y=y)),
        "billing": billing_message(company_id),
        "mismatch": ID_MISMATCH,
    }[kind]
    return Observation(
        isinstance(message, str) and re.fullmatch(pattern, message) is not None,
        f"Message matching {pattern!r}",
        f"Message {message!r}",
    )


def instant(text: Any) -> datetime | None:
    """An ISO 8601 date-time; no offset is read as UTC (DEV-DATETIME-OFFSET)."""
    if not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def same_value(name: str, sent: Any, found: Any) -> bool:
    """Compare by meaning: GUIDs case-insensitively, ShippingEntityId 0 = none, "1" = 1."""
    if name in ("BillingCustomerId", "ShippingCustomerId", "BillingAddressId"):
        return str(sent or "").lower() == str(found or "").lower()
    if name == "ShippingEntityId":
        return bool((sent or 0) == (found or 0))
    if name == "ItemTypeId":
        return str(sent) == str(found)
    if name == "TrackingInformation":
        shown = [
            {k: e.get(k) for k in ("Quantity", "TrackingNumber")} if isinstance(e, dict) else e
            for e in (found or [])
        ]
        return bool((sent or []) == shown)
    if isinstance(found, bool) != isinstance(sent, bool):
        return False
    return bool(sent == found)


def order_problems(found: Any, model: OrderModel) -> dict[str, list[str]]:
    """What differs between an Order body and the model, by kind of rule."""
    out: dict[str, list[str]] = {"identity": [], "printable": [], "content": [], "expiry": []}
    if not isinstance(found, dict):
        out["content"].append(f"not an Order object: {found!r:.200}")
        return out
    for name, expected, kind in (
        ("Id", model.id, "identity"),
        ("PrintableId", model.printable_id, "printable"),
        ("CreatedDateUtc", model.created, "identity"),
    ):
        if str(found.get(name)).lower() != str(expected).lower():
            out[kind].append(f"{name} {found.get(name)!r}, was {expected!r}")
    if found.get("State") != model.state:
        out["content"].append(f"State {found.get('State')!r}, model says {model.state!r}")
    for name, sent in model.fields.items():
        if not same_value(name, sent, found.get(name)):
            out["content"].append(f"{name} {found.get(name)!r}, sent {sent!r}")
    created, expiry = instant(found.get("CreatedDateUtc")), instant(found.get("OrderExpiryDate"))
    hours = found.get("OrderExpiryHours")
    if created is None or expiry is None or not isinstance(hours, int):
        out["expiry"].append(
            f"CreatedDateUtc {found.get('CreatedDateUtc')!r}, OrderExpiryDate "
            f"{found.get('OrderExpiryDate')!r}, OrderExpiryHours {hours!r}: not comparable"
        )
    elif abs(expiry - created - timedelta(hours=hours)) > EXPIRY_TOLERANCE:
        out["expiry"].append(
            f"OrderExpiryDate {found['OrderExpiryDate']} is not CreatedDateUtc "
            f"{found['CreatedDateUtc']} + {hours} h"
        )
    return out


@check(ids.ORD_UPD_001)
def identity_kept(found: Any, model: OrderModel) -> Observation:
    return none_of(order_problems(found, model)["identity"], "Id and CreatedDateUtc unchanged")


@check(ids.ORD_CRT_002)
def printable_id_kept(found: Any, model: OrderModel) -> Observation:
    return none_of(
        order_problems(found, model)["printable"],
        "the server's PrintableId kept (one sent by the client is not taken)",
    )


@check(*CONTENT_RULES)
def order_as_modelled(found: Any, model: OrderModel) -> Observation:
    return none_of(order_problems(found, model)["content"], "the order as modelled")


@check(ids.ORD_CRT_003, ids.ORD_CRT_012)
def expiry_from_hours(found: Any, model: OrderModel) -> Observation:
    return none_of(
        order_problems(found, model)["expiry"],
        "OrderExpiryDate = CreatedDateUtc + OrderExpiryHours",
    )


@check(ids.ORD_PROC_001)
def process_names_the_order(found: Any, order_id: str) -> Observation:
    named = found.get("OrderId") if isinstance(found, dict) else None
    return Observation(
        str(named).lower() == order_id, f"ProcessResponse OrderId {order_id}", f"OrderId {named!r}"
    )


@check(ids.ORD_PROC_002)
def processed_after_process(reply: Reply, shown: Any, before: str) -> Observation:
    """DEV-PROCESS-STATE: Processed is the reading of the state flow (a SHOULD)."""
    return Observation(
        shown == "Processed",
        f"a {before} order Processed after a 201 Process",
        f"GET Order: {reply.status} State {shown!r}",
    )


@check(ids.ORD_FULL_006)
def full_update_refused_with_409(reply: Reply, state: str) -> Observation:
    return Observation(
        reply.status == 409,
        f"the update of a {state} OrderFull refused with 409",
        describe(reply),
    )
