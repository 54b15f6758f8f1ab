"""Checks of authorisation (AUTH): a request without a valid bearer token is refused, and a
caller reaches neither another company's orders nor another supplier's feed and orders.

DEV-AUTH-STATUS: the refusal (any 4xx) is the MUST; the 401 of a missing or foreign token is the
SHOULD. Refusals that have an error row (AUTH-002, AUTH-003, AUTH-006) are judged with the
checks of :mod:`dropship_conformance.checks.errors`.
"""

from __future__ import annotations

from typing import Any

from dropship_conformance.checks import ids
from dropship_conformance.checks.primitives import describe
from dropship_conformance.checks.registry import Observation, check
from dropship_conformance.client.http import Reply

# Values of an order that only a server showing it would answer (its Id is in the URI).
SHOWN_FIELDS = ("Name", "PrintableId", "CreatedDateUtc", "OrderExpiryDate")


@check(ids.AUTH_001, ids.AUTH_004)
def refused(reply: Reply, what: str) -> Observation:
    return Observation(400 <= reply.status < 500, f"{what} refused with a 4xx", describe(reply))


@check(ids.AUTH_005)
def answered_401(reply: Reply) -> Observation:
    return Observation(
        reply.status == 401,
        "status of the refusal = 401",
        f"status of the refusal = {reply.status}",
    )


def shown(reply: Reply, order: dict[str, Any]) -> list[str]:
    """The fields of ``order`` whose values ``reply`` shows."""
    return [
        f"{name} {order[name]!r} of that order in the answer"
        for name in SHOWN_FIELDS
        if isinstance(order.get(name), str) and len(order[name]) > 3 and order[name] in reply.text
    ]


@check(ids.AUTH_004)
def shows_nothing_of(reply: Reply, order: dict[str, Any], what: str) -> Observation:
    """Another company's order: refused, and the refusal shows none of its data."""
    problems = ([] if 400 <= reply.status < 500 else [describe(reply)]) + shown(reply, order)
    expected = f"{what} refused with a 4xx showing none of its data"
    return Observation(not problems, expected, "; ".join(problems) or "-")


@check(ids.AUTH_004)
def lists_only_own(views: list[tuple[str, str, Reply]]) -> Observation:
    """Each list (what, the id of an order it must not hold, its answer) holds only the
    company's own orders."""
    problems = []
    for what, stranger, reply in views:
        if reply.status != 200 or not isinstance(reply.json(), list):
            problems.append(f"{what}: {describe(reply)}")
        elif any(str(o.get("Id")).lower() == stranger.lower() for o in reply.json()):
            problems.append(f"{what} lists order {stranger} of the other company")
    expected = "each list holds only its company's orders"
    return Observation(not problems, expected, "; ".join(problems) or "-")
