"""Checks of refusals (DS-ERR, ORD-ERR and the rules whose violation is refused): the status a
refusal is answered with, the documented error answer -- application/json (HTTP-001) holding the
Error object with its Message (HTTP-003) -- and what a refused request must not have done.

The error rows of 000/001/003/004 name a status and a message; which row a case belongs to is
data of the case (the tables of harness/*error_cases.py), so these checks are registered under
every row they judge and a case picks its row with :func:`under`.
"""

from __future__ import annotations

import re
from typing import Any, ParamSpec

from dropship_conformance import openapi
from dropship_conformance.checks import ids
from dropship_conformance.checks.primitives import JSON, describe, status_names
from dropship_conformance.checks.registry import Observation, check
from dropship_conformance.client.http import Reply

P = ParamSpec("P")

# A documented message: one text, any of several (DEV-ID-MISMATCH-MESSAGE), or a pattern.
Message = str | tuple[str, ...] | re.Pattern[str]

# Rules whose violation is refused with a status: the row's status, or any 4xx where the rule
# names none (DEV-DROPSHIP-UNDOCUMENTED-ERRORS), or the SHOULD naming the exact status.
REFUSAL_ROWS = (
    ids.DS_ERR_001,
    ids.DS_ERR_002,
    ids.DS_ERR_003,
    ids.DS_ERR_004,
    ids.DS_ERR_005,
    ids.DS_ERR_006,
    ids.DS_ERR_007,
    ids.DS_UPD_003,
    ids.DS_UPD_004,
    ids.DS_UPD_009,
    ids.DS_ITEM_003,
    ids.DS_ITEM_004,
    ids.DS_ITEM_005,
    ids.DS_ITEM_008,
    ids.DS_ITEM_010,
    ids.DS_STAT_003,
    ids.DS_STAT_005,
    ids.ORD_ERR_001,
    ids.ORD_ERR_002,
    ids.ORD_ERR_003,
    ids.ORD_ERR_004,
    ids.ORD_ERR_005,
    ids.ORD_ERR_008,
    ids.ORD_UPD_002,
    ids.ORD_FULL_004,
    ids.ORD_FULL_005,
    ids.ORD_FULL_006,
    ids.ORD_PROC_003,
    ids.ORD_PROC_004,
    ids.ORD_STATE_003,
    ids.ORD_CRT_006,
    ids.ORD_CRT_007,
    ids.ORD_CRT_008,
    ids.ORD_CRT_009,
    ids.ORD_CRT_013,
    ids.ORD_ENUM_002,
    ids.ORD_ENUM_003,
    ids.ORD_ENUM_005,
    ids.ORD_ITEM_002,
    ids.ORD_ITEM_005,
    ids.ORD_ITEM_006,
    ids.ORD_ITEM_008,
    ids.ORD_FLT_004,
    ids.ORD_EXP_001,
    ids.ORD_EXP_002,
    ids.AUTH_002,
    ids.AUTH_003,
    ids.AUTH_006,
)
# Rows that document the Message of their error.
MESSAGE_ROWS = (
    ids.DS_ERR_001,
    ids.DS_ERR_002,
    ids.DS_ERR_003,
    ids.DS_ERR_004,
    ids.ORD_ERR_001,
    ids.ORD_ERR_003,
    ids.ORD_ERR_004,
    ids.ORD_ERR_005,
    ids.ORD_ERR_006,
    ids.ORD_ERR_007,
    ids.ORD_EXP_002,
    ids.AUTH_006,
)
# Rules a refused request breaks when it changed something all the same.
NO_EFFECT_ROWS = (
    ids.DS_UPD_003,
    ids.DS_UPD_004,
    ids.DS_ITEM_003,
    ids.DS_ITEM_004,
    ids.DS_ITEM_005,
    ids.DS_ITEM_008,
    ids.DS_ERR_005,
    ids.DS_STAT_003,
    ids.ORD_ERR_001,
    ids.ORD_UPD_002,
    ids.ORD_FULL_004,
    ids.ORD_PROC_003,
    ids.ORD_EXP_001,
    ids.ORD_EXP_002,
    ids.AUTH_001,
    ids.AUTH_003,
    ids.AUTH_004,
)
STATE_RULES = (ids.ORD_STATE_003, ids.ORD_PROC_004, ids.ORD_FULL_005)
BODY_ID_RULES = (ids.DS_UPD_004, ids.DS_ITEM_003)


def is_client_error(reply: Reply) -> bool:
    return 400 <= reply.status < 500


@check(*REFUSAL_ROWS)
def status_is(reply: Reply, status: int | None, operation_id: str | None) -> Observation:
    """The status the row names, or (``None``) any 4xx: a refusal whose status no row gives."""
    holds = reply.status == status if status is not None else is_client_error(reply)
    answer = f"HTTP {status}" if status is not None else "a 4xx refusal"
    return Observation(holds, f"{operation_id or 'the request'} answered {answer}", describe(reply))


@check(ids.HTTP_005)
def no_server_error(reply: Reply) -> Observation:
    return Observation(
        reply.status < 500, "a 4xx for a client mistake, never a 5xx", describe(reply)
    )


@check(ids.ORD_CRT_008)
def accepted(reply: Reply, what: str) -> Observation:
    return Observation(200 <= reply.status < 300, f"{what} accepted", describe(reply))


@check(*BODY_ID_RULES, ids.DS_STAT_003)
def refused_or_accepted(reply: Reply, accepted_as: str) -> Observation:
    """Rules no error row covers (DEV-BODY-ID-MISMATCH, DEV-STATUS-EXCEPTION): a refusal or an
    acceptance read one documented way; never a server error or a redirect."""
    holds = 200 <= reply.status < 300 or is_client_error(reply)
    return Observation(holds, f"refused (4xx) or accepted {accepted_as} (2xx)", describe(reply))


@check(ids.HTTP_001)
def media_type(reply: Reply) -> Observation:
    content_type = reply.headers.get("content-type")
    return Observation(
        reply.media_type == JSON, f"the error with Content-Type {JSON}", repr(content_type)
    )


def error_problems(reply: Reply, body: Any, operation_id: str | None) -> list[str]:
    """Against the operation's answer where it documents the status, else the Error object
    (an undocumented refusal still answers with it, HTTP-003)."""
    op = openapi.operation(operation_id) if operation_id is not None else None
    if op is not None and str(reply.status) in openapi.documented_statuses(op):
        return openapi.validate_response(op.operation_id, reply.status, body)
    api = op.api if op is not None else "dropship"
    return openapi.validate(api, openapi.component_pointer("Error"), body)


@check(ids.HTTP_003)
def error_object(reply: Reply, operation_id: str | None) -> Observation:
    expected = f"the {reply.status} body is the Error object {{Message}} of the OpenAPI"
    try:
        body = reply.json()
    except ValueError as error:
        return Observation(False, expected, str(error))
    problems = error_problems(reply, body, operation_id)
    return Observation(not problems, expected, "; ".join(problems) or "-")


def message_of(body: Any) -> Any:
    return body.get("Message") if isinstance(body, dict) else None


@check(ids.HTTP_003)
def message_named(body: Any) -> Observation:
    """Where the row documents no text, the Message still names the problem."""
    found = message_of(body)
    holds = isinstance(found, str) and bool(found.strip())
    return Observation(holds, "a Message naming the problem", f"Message {found!r}")


@check(*MESSAGE_ROWS)
def message_is(body: Any, message: Message) -> Observation:
    found = message_of(body)
    if isinstance(message, re.Pattern):
        holds = isinstance(found, str) and message.fullmatch(found) is not None
        shown = message.pattern
    else:
        accepted = (message,) if isinstance(message, str) else message
        holds, shown = found in accepted, " or ".join(map(repr, accepted))
    return Observation(holds, f"Message {shown}", f"Message {found!r}")


@check(*NO_EFFECT_ROWS)
def changed_nothing(problems: list[str], expected: str) -> Observation:
    """What a probe read back after a refusal: each change it found is a problem."""
    return Observation(not problems, expected, "; ".join(problems) or "-")


@check(*STATE_RULES)
def still_in_state(after: Reply, state: str, tag: str) -> Observation:
    """The order after a refused transition: in its state, without the refused change's tag."""
    found = after.json() if after.status == 200 else {}
    holds = found.get("State") == state and found.get("Name") != tag
    return Observation(
        holds, f"the order still {state}, unchanged", f"GET Order: {describe(after)}"
    )


# Entries of the feed as the error suites read them: entry id -> (order id, item statuses).
Fed = dict[str, tuple[str, list[Any]]]


@check(*BODY_ID_RULES)
def recorded_for_the_uri_order(fresh: Fed, uri_order: str, body_id: str) -> Observation:
    """An accepted update whose body names another order updates the URI's order alone."""
    problems = [
        f"entry {entry_id}: order {order_id}, statuses {statuses}"
        for entry_id, (order_id, statuses) in fresh.items()
        if order_id != uri_order
    ]
    if not any(order_id == uri_order for order_id, _ in fresh.values()):
        problems.append(f"no new entry of the URI's order: new entries {fresh!r}")
    expected = f"the update recorded for the URI's order {uri_order}, none for {body_id}"
    return Observation(not problems, expected, "; ".join(problems) or "-")


@check(ids.DS_STAT_003)
def only_documented_statuses_fed(fresh: Fed, value: Any) -> Observation:
    """Whatever a target made of an undocumented Status, the feed holds documented names."""
    names = set(status_names().values())
    problems = [
        f"entry {entry_id}: status {status!r}"
        for entry_id, (_, statuses) in fresh.items()
        for status in statuses
        if status not in names
    ]
    expected = f"what the feed records for Status {value!r} is a documented status name"
    return Observation(not problems, expected, "; ".join(problems) or "-")
