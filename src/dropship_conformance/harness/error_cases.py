"""How the errors suites drive their cases. Both alike: send an operation as the OpenAPI
document defines it, fill the placeholders of a case table, end a case as not checked when the
request without the fault is refused as well, and judge a refusal with the checks of
checks/errors.py. Then each API's own way to see that a refusal changed nothing: the Orders API
reads the order back (:class:`Company`), the Supplier Orders API reads its feed before and after.

The case tables themselves are in orders_error_cases.py and dropship_error_cases.py.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from dropship_conformance import openapi
from dropship_conformance.checks import errors
from dropship_conformance.checks.errors import Fed
from dropship_conformance.checks.primitives import ATOM, JSON, describe
from dropship_conformance.client import DropshipClient, OrdersClient, SandboxControl
from dropship_conformance.client.http import HttpSession, Reply
from dropship_conformance.errors import SetupImpossible
from dropship_conformance.feed import events
from dropship_conformance.harness import orders_error_cases as orders_cases
from dropship_conformance.harness.orders_error_cases import Identities, new_tag, valid_body
from dropship_conformance.harness.updates import recent_entries
from dropship_conformance.verdicts import Expect


def send(
    session: HttpSession,
    base_url: str,
    operation_id: str,
    path: dict[str, Any],
    body: Any = None,
    *,
    raw: bytes | None = None,
    **options: Any,
) -> Reply:
    """``operation_id`` with its method and path from the OpenAPI (``path`` fills the path's
    parameters), asking for the media type its success answer has; ``raw`` is sent as JSON
    content byte for byte, so a body no JSON encoder would write can be sent."""
    op = openapi.operation(operation_id)
    url = base_url + op.path.format_map(path)
    accept = ATOM if openapi.response_pointer(op, 200, ATOM) is not None else JSON
    if raw is not None:
        headers = {"Content-Type": JSON, **options.pop("headers", {})}
        return session.request(
            op.method, url, content=raw, headers=headers, accept=accept, **options
        )
    return session.request(op.method, url, json_body=body, accept=accept, **options)


def fill(template: Any, values: dict[str, Any]) -> Any:
    """A request template with its "$NAME" strings replaced by this run's values."""
    if isinstance(template, str) and template.startswith("$") and template[1:] in values:
        return values[template[1:]]
    if isinstance(template, list):
        return [fill(value, values) for value in template]
    if isinstance(template, dict):
        return {key: fill(value, values) for key, value in template.items()}
    return template


def require_accepted(control: Reply, what: str) -> None:
    """A refusal is evidence only when nothing but the fault under test explains it: the same
    request without the fault (``control``) must be accepted, or the case is not checked."""
    if not 200 <= control.status < 300:
        raise SetupImpossible(
            f"not checked: {what} without the fault under test was refused as well "
            f"({describe(control)}), so a refusal would not show the rule"
        )


def error_answer(expect: Expect, reply: Reply, operation_id: str | None) -> Any:
    """The documented error answer: JSON (HTTP-001) holding the Error object (HTTP-003)."""
    errors.media_type(expect, reply)
    errors.error_object(expect, reply, operation_id)
    return reply.json()


def judge_error(
    expect: Expect,
    reply: Reply,
    operation_id: str,
    status: int | None,
    rules: tuple[str, ...],
    message: errors.Message | None = None,
    message_rule: str | None = None,
) -> Any:
    """The status by every rule, then the error answer and its Message (``message_rule``, else
    the first rule; none documented: a Message naming the problem). A SHOULD status that does
    not hold leaves nothing else to judge: the server chose another reading."""
    if not errors.status_is.under(*rules)(expect, reply, status, operation_id):
        return None
    body = error_answer(expect, reply, operation_id)
    if message is None:
        errors.message_named(expect, body)
    else:
        errors.message_is.under(message_rule or rules[0])(expect, body, message)
    return body


def judge_refusal(
    expect: Expect,
    reply: Reply,
    operation_id: str | None,
    rules: tuple[str, ...],
    status: int | None,
    message: str | None = None,
) -> None:
    """The status (``None``: any 4xx) by every rule; a refusal with any 4xx is then held to the
    error answer and to the Message of the last rule, the one whose row documents it."""
    errors.status_is.under(*rules)(expect, reply, status, operation_id)
    if not errors.is_client_error(reply):
        return
    body = error_answer(expect, reply, operation_id)
    if message is not None:
        errors.message_is.under(rules[-1])(expect, body, message)


# ---------------------------------------------------------------- Orders API: the company acting


def _no_order_named(orders: OrdersClient, order_id: str, tag: str, **options: Any) -> list[str]:
    reply = orders.list_orders(**options)
    if reply.status != 200:
        return [f"GET Orders: {describe(reply)}"]
    return [f"order {o.get('Id')} was created" for o in reply.json() if o.get("Name") == tag]


def _not_updated(orders: OrdersClient, order_id: str, tag: str, **options: Any) -> list[str]:
    reply = orders.get_order(order_id, **options)
    if reply.status != 200:
        return [f"GET Order: {describe(reply)}"]
    problems = [f"Name became {tag!r}"] if reply.json().get("Name") == tag else []
    return problems + _no_item(orders, order_id, tag, **options)


def _no_item(orders: OrdersClient, order_id: str, tag: str, **options: Any) -> list[str]:
    reply = orders.list_items(order_id, **options)
    if reply.status != 200:
        return [f"GET Items: {describe(reply)}"]
    return [f"item {i.get('Id')} was added" for i in reply.json() if i.get("SKU") == tag]


def _still_created(orders: OrdersClient, order_id: str, tag: str, **options: Any) -> list[str]:
    reply = orders.get_order(order_id, **options)
    if reply.status != 200:
        return [f"GET Order: {describe(reply)}"]
    state = reply.json().get("State")
    return [] if state == "Created" else [f"State became {state!r}"]


Probe = Callable[..., list[str]]
# What each refused change must not have done (reads change nothing).
PROBES: dict[str, Probe] = {
    "createOrder": _no_order_named,
    "createOrderFull": _no_order_named,
    "updateOrder": _not_updated,
    "updateOrderFull": _not_updated,
    "addItem": _no_item,
    "processOrder": _still_created,
}


def new_order(orders: OrdersClient, who: Identities, **fields: Any) -> dict[str, Any]:
    reply = orders.create_order(orders_cases.order_body(who, **fields))
    if reply.status != 201:
        raise SetupImpossible(f"cannot create an order for the case: {describe(reply)}")
    created: dict[str, Any] = reply.json()
    return created


@dataclass(frozen=True)
class Other:
    """The other company: its token and one of its orders (sandbox identities)."""

    options: dict[str, Any]
    order: dict[str, Any]

    @classmethod
    def of(cls, orders: OrdersClient, who: Identities) -> Other:
        if who.other_token is None:
            raise SetupImpossible(
                f"no token of company {who.other_company_id} is known: give --other-token "
                "(or DROPSHIP_CONFORMANCE_OTHER_TOKEN) to act as that company"
            )
        options = {"token": who.other_token, "company_id": who.other_company_id}
        body = {"EntityId": who.other_location_id, "OrderTypeId": 3, "Name": "Other company"}
        reply = orders.create_order(body, **options)
        if reply.status != 201:
            raise SetupImpossible(
                f"cannot create an order of company {who.other_company_id}: {describe(reply)}"
            )
        return cls(options, reply.json())


@dataclass(frozen=True)
class Company:
    """The company under test as a case acts: its client and identities, and the test's
    Expect."""

    orders: OrdersClient
    who: Identities
    expect: Expect

    def call(
        self, operation_id: str, order_id: str = "", body: Any = None, **options: Any
    ) -> Reply:
        """``operation_id`` as the OpenAPI defines it; ``company_id=`` names another company."""
        company = options.pop("company_id", self.orders.company_id)
        path = {"CompanyId": company, "OrderId": order_id}
        return send(self.orders.session, self.orders.base_url, operation_id, path, body, **options)

    def call_valid(self, operation_id: str, order_id: str, tag: str = "", **options: Any) -> Reply:
        body = valid_body(operation_id, self.who, order_id, tag or new_tag())
        return self.call(operation_id, order_id, body, **options)

    def control(self, operation_id: str, order_id: str, what: str = "") -> None:
        """The same operation with a valid body must be accepted (see :func:`require_accepted`)."""
        require_accepted(self.call_valid(operation_id, order_id), what or operation_id)

    def new_order(self, **fields: Any) -> dict[str, Any]:
        return new_order(self.orders, self.who, **fields)

    def changed_nothing(
        self, rule: str, operation_id: str, order_id: str, tag: str, **options: Any
    ) -> None:
        """What the refused ``operation_id`` must not have done (reads change nothing)."""
        probe = PROBES.get(operation_id)
        if probe is not None:
            problems = probe(self.orders, order_id, tag, **options)
            unchanged = f"the refused {operation_id} changed nothing"
            errors.changed_nothing.under(rule)(self.expect, problems, unchanged)

    def step(self, sandbox: SandboxControl | None, order_id: str, step: str) -> Reply:
        """Bring the order one step on: a State by update, Process, or force (sandbox)."""
        if step == "Process":
            return self.orders.process_order(order_id)
        if not step.startswith("force:"):
            body = {"Id": order_id, **orders_cases.order_body(self.who), "State": step}
            return self.orders.update_order(order_id, body)
        if sandbox is None:
            raise SetupImpossible("reaching this state needs the sandbox control API (force_state)")
        return sandbox.force_state(self.who.company_id, order_id, step.removeprefix("force:"))

    def send_items(self, operation_id: str, order_id: str, items: list[dict[str, Any]]) -> Reply:
        """Items through POST Items (one at a time: the last answer) or in an OrderFull body."""
        if operation_id == "addItem":
            return [self.orders.add_item(order_id, item) for item in items][-1]
        body = {**valid_body(operation_id, self.who, order_id, new_tag()), "Items": items}
        return self.call(operation_id, order_id, body)


# ---------------------------------------------------------------- Supplier Orders API: the feed


def fed_statuses(dropship: DropshipClient, order_ids: set[str], **options: Any) -> Fed:
    """order-status-updated entries of ``order_ids`` in the newest pages."""
    wanted = {order_id.lower() for order_id in order_ids}
    found: Fed = {}
    for entry in recent_entries(dropship, **options):
        order_id = (entry.order_id or "").strip().lower()
        if entry.payload_kind == "order-status-updated" and order_id in wanted:
            items = events.to_value(entry.payload).get("items") or []
            statuses = [item.get("status") for item in items if isinstance(item, dict)]
            found[entry.id or ""] = (order_id, statuses)
    return found


def fed_updates(dropship: DropshipClient, order_ids: set[str], **options: Any) -> dict[str, str]:
    """order-status-updated entries of ``order_ids`` in the newest pages: entry id -> summary."""
    return {
        entry_id: f"entry {entry_id}: order {order_id}, statuses {statuses}"
        for entry_id, (order_id, statuses) in fed_statuses(dropship, order_ids, **options).items()
    }


def put(
    dropship: DropshipClient, operation: str, order_id: str, body: Any = None, **options: Any
) -> Reply:
    """An update of ``order_id`` as the OpenAPI defines it; ``supplier_id=`` names another
    supplier."""
    path = {"SupplierId": options.pop("supplier_id", dropship.supplier_id), "OrderId": order_id}
    return send(dropship.session, dropship.base_url, operation, path, body, **options)


def judge_nothing_recorded(
    expect: Expect,
    requirement_id: str,
    dropship: DropshipClient,
    order_ids: set[str],
    before: Collection[str],
    **options: Any,
) -> None:
    """No entry of ``order_ids`` beyond the entry ids ``before``."""
    after = fed_updates(dropship, order_ids, **options)
    feed = options.get("supplier_id", dropship.supplier_id)
    errors.changed_nothing.under(requirement_id)(
        expect,
        [summary for entry_id, summary in after.items() if entry_id not in before],
        f"no new order-status-updated for {sorted(order_ids)} in supplier {feed}'s feed",
    )
