"""Errors suite, Supplier Orders API: every documented error row (001 §ERRORS, 000 §Errors) with
its status and message, the undocumented refusals the catalogue decides
(DEV-DROPSHIP-UNDOCUMENTED-ERRORS), invalid update bodies, and supplier isolation. A refused
update must record nothing: the feed is read before and after each one.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import pytest

from dropship_conformance import openapi
from dropship_conformance.client import DropshipClient, Reply
from dropship_conformance.feed import atom, events
from dropship_conformance.harness.target import Target
from dropship_conformance.harness.testdata import DropshipOrder, TestData
from dropship_conformance.harness.updates import STATUS_NAMES, eventually, wait_seconds
from dropship_conformance.verdicts import Expect

pytestmark = [pytest.mark.errors, pytest.mark.dropship]

JSON = "application/json"
FEED_PAGES = 3
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
# operationId -> the client method that sends it.
PUTS = {
    "putOrderStatusUpdate": DropshipClient.order_status_update,
    "putItemStatusUpdate": DropshipClient.item_status_update,
}


@dataclass(frozen=True)
class Scene:
    """What the error requests address: two fresh orders and a page of the supplier's feed."""

    order: DropshipOrder
    other: DropshipOrder
    page_id: str | None

    def values(self) -> dict[str, Any]:
        """The values "$NAME" placeholders of the tables stand for."""
        return {
            "ID": self.order.order_id,
            "OTHER": self.other.order_id,
            "SKU": self.order.skus[0],
            "OTHER_SKU": self.other.skus[0],
            "RANDOM": str(uuid.uuid5(uuid.NAMESPACE_URL, f"no-such-order:{self.order.order_id}")),
        }


@pytest.fixture(scope="module")
def scene(testdata: TestData, dropship: DropshipClient) -> Scene:
    order, other = testdata.new_order(), testdata.new_order()
    reply = dropship.notifications()
    page_id = None
    if reply.status == 200:
        self_link = atom.read_feed(reply.content).link("self") or ""
        match = re.search(r"/Pages\(([^)]*)\)", self_link)
        page_id = match.group(1) if match else None
    return Scene(order, other, page_id)


# ---------------------------------------------------------------- helpers


def fill(template: Any, values: dict[str, Any]) -> Any:
    """A request template with its "$NAME" strings replaced by this run's values."""
    if isinstance(template, str) and template.startswith("$") and template[1:] in values:
        return values[template[1:]]
    if isinstance(template, list):
        return [fill(value, values) for value in template]
    if isinstance(template, dict):
        return {key: fill(value, values) for key, value in template.items()}
    return template


def describe(reply: Reply) -> str:
    content_type = reply.headers.get("content-type") or "no Content-Type"
    return f"HTTP {reply.status} ({content_type}) {reply.text[:300]!r}"


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


def call(dropship: DropshipClient, operation: str, scene: Scene, **options: Any) -> Reply:
    """One otherwise valid request of ``operation`` for the scene's order and page."""
    if operation == "getNotificationsPage" and scene.page_id is None:
        pytest.skip("the current feed document has no self link naming a page (DS-FEED-010)")
    body = fill(VALID_BODIES.get(operation), scene.values())
    calls = {
        "getNotifications": lambda: dropship.notifications(**options),
        "getNotificationsPage": lambda: dropship.page(str(scene.page_id), **options),
        "putOrderStatusUpdate": lambda: dropship.order_status_update(
            scene.order.order_id, body, **options
        ),
        "putItemStatusUpdate": lambda: dropship.item_status_update(
            scene.order.order_id, body, **options
        ),
    }
    return calls[operation]()


def fed_updates(dropship: DropshipClient, order_ids: set[str], **options: Any) -> dict[str, str]:
    """order-status-updated entries of ``order_ids`` in the newest pages: entry id -> summary."""
    return {
        entry_id: f"entry {entry_id}: order {order_id}, statuses {statuses}"
        for entry_id, (order_id, statuses) in fed_statuses(dropship, order_ids, **options).items()
    }


def fed_statuses(
    dropship: DropshipClient, order_ids: set[str], **options: Any
) -> dict[str, tuple[str, list[Any]]]:
    """order-status-updated entries of ``order_ids`` in the newest pages: entry id ->
    (order id, the statuses of its item-information)."""
    wanted = {order_id.lower() for order_id in order_ids}
    found: dict[str, tuple[str, list[Any]]] = {}
    reply = dropship.notifications(**options)
    for _ in range(FEED_PAGES):
        if reply.status != 200:
            pytest.skip(f"cannot read the order feed to see what was recorded: {describe(reply)}")
        try:
            document = atom.read_feed(reply.content)
        except ValueError as error:
            pytest.skip(f"the order feed is not a readable Atom document: {error}")
        for entry in document.entries:
            order_id = (entry.order_id or "").strip().lower()
            if entry.payload_kind == "order-status-updated" and order_id in wanted:
                statuses = [
                    item.get("status")
                    for item in events.to_value(entry.payload).get("items") or []
                    if isinstance(item, dict)
                ]
                found[entry.id or ""] = (order_id, statuses)
        previous = document.link("prev-archive")
        if previous is None:
            break
        reply = dropship.follow(urljoin(reply.url, previous), **options)
    return found


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
    expect.none_of(
        requirement_id,
        [summary for entry_id, summary in after.items() if entry_id not in before],
        expected=f"no new order-status-updated for {sorted(order_ids)} in supplier {feed}'s feed",
    )


def judge_error_body(expect: Expect, reply: Reply, operation: str | None) -> dict[str, Any]:
    """HTTP-001 and HTTP-003: a JSON Error object, valid against the OpenAPI."""
    expect.that(
        "HTTP-001",
        reply.media_type == JSON,
        expected=f"the error answered with Content-Type {JSON}",
        found=repr(reply.headers.get("content-type")),
    )
    try:
        body = reply.json()
    except ValueError as error:
        expect.that("HTTP-003", False, expected="an Error object {Message}", found=str(error))
        raise
    documented = operation is not None and str(reply.status) in openapi.documented_statuses(
        openapi.operation(operation)
    )
    problems = (
        openapi.validate_response(operation, reply.status, body)
        if documented and operation is not None
        else openapi.validate("dropship", openapi.component_pointer("Error"), body)
    )
    expect.none_of(
        "HTTP-003",
        problems,
        expected=f"the {reply.status} body is the Error object of specs/dropship.openapi.yaml",
    )
    return body


def judge_refusal(
    expect: Expect,
    reply: Reply,
    operation: str | None,
    rules: tuple[str, ...],
    status: int | None,
    message: str | None = None,
) -> None:
    """The status (``None``: any 4xx) by every rule, then the error body and the message.

    The message is judged by the last rule, the one whose row documents it.
    """
    holds = reply.status == status if status is not None else 400 <= reply.status < 500
    expect.all_hold(
        rules,
        holds,
        expected=f"HTTP {status}" if status is not None else "a 4xx refusal",
        found=describe(reply),
    )
    if not 400 <= reply.status < 500:
        return
    body = judge_error_body(expect, reply, operation)
    if message is not None:
        expect.equal(rules[-1], body.get("Message"), message, what="Message")


def requirements(*ids: str) -> pytest.MarkDecorator:
    return pytest.mark.requirements(*ids)


# ---------------------------------------------------------------- documented rows


SUPPLIER_IDS = [
    pytest.param("abc", id="letters"),
    pytest.param("-60455", id="negative"),
    pytest.param("0", id="zero"),
    pytest.param("60455.0", id="decimal"),
    pytest.param("99999999999", id="beyond-int32"),
    pytest.param("2147483646", id="naming-no-supplier"),
]


@requirements("DS-ERR-001", "HTTP-001", "HTTP-003")
@pytest.mark.parametrize("supplier_id", SUPPLIER_IDS)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_bad_supplier_id(
    dropship: DropshipClient, scene: Scene, expect: Expect, operation: str, supplier_id: str
) -> None:
    reply = call(dropship, operation, scene, supplier_id=supplier_id)
    judge_refusal(expect, reply, operation, ("DS-ERR-001",), 400, BAD_SUPPLIER)


# DEV-AUTH-STATUS: 001 §ERRORS documents 401 "Invalid token" for an incorrect token only
# (DS-ERR-003); a missing header or another scheme has no row, so any 4xx refusal passes
# AUTH-001 and the 401 is AUTH-005 (SHOULD).
CREDENTIALS = [
    pytest.param({"token": "wrong"}, id="unknown-token", marks=requirements("DS-ERR-003")),
    pytest.param({"token": None}, id="no-authorization", marks=requirements("AUTH-005")),
    pytest.param(
        {"token": None, "scheme": "Token"}, id="other-scheme", marks=requirements("AUTH-005")
    ),
]


@requirements("AUTH-001", "HTTP-001", "HTTP-003")
@pytest.mark.parametrize("credentials", CREDENTIALS)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_bad_token(
    dropship: DropshipClient,
    target: Target,
    scene: Scene,
    expect: Expect,
    operation: str,
    credentials: dict[str, Any],
) -> None:
    options: dict[str, Any] = {"token": credentials["token"]}
    if "scheme" in credentials:
        # The right token under another scheme: only "Bearer" is the documented one (002 Step 1).
        options["headers"] = {"Authorization": f"{credentials['scheme']} {target.settings.token}"}
    watched = {scene.order.order_id}
    before = fed_updates(dropship, watched) if operation in UPDATES else {}
    reply = call(dropship, operation, scene, **options)
    expect.that(
        "AUTH-001", 400 <= reply.status < 500, expected="a 4xx refusal", found=describe(reply)
    )
    if credentials["token"] is None:
        # No error row: neither the status nor the body is documented (HTTP-001 leaves it open).
        expect.equal("AUTH-005", reply.status, 401, what="status of the refusal")
    else:
        judge_refusal(expect, reply, operation, ("DS-ERR-003",), 401, INVALID_TOKEN)
    if operation in UPDATES:
        judge_nothing_recorded(expect, "AUTH-001", dropship, watched, before)


UNKNOWN_PATHS = [
    pytest.param("GET", "/Zxppliers({supplier})/Notifications", None, id="Zxppliers-feed"),
    pytest.param("GET", "/Suppliers({supplier})/Notification", None, id="Notification"),
    pytest.param("GET", "/Suppliers({supplier})/Feed", None, id="Feed"),
    pytest.param(
        "PUT",
        "/Zxppliers({supplier})/Orders({order})/OrderStatusUpdate",
        "putOrderStatusUpdate",
        id="Zxppliers-order-status",
    ),
    pytest.param(
        "PUT",
        "/Suppliers({supplier})/Orders({order})/StatusUpdate",
        "putOrderStatusUpdate",
        id="StatusUpdate",
    ),
    pytest.param(
        "PUT",
        "/Zxppliers({supplier})/Orders({order})/ItemStatusUpdate",
        "putItemStatusUpdate",
        id="Zxppliers-item-status",
    ),
]


@requirements("DS-ERR-004", "HTTP-001", "HTTP-003")
@pytest.mark.parametrize(("method", "path", "body_of"), UNKNOWN_PATHS)
def test_unknown_path(
    dropship: DropshipClient,
    target: Target,
    scene: Scene,
    expect: Expect,
    method: str,
    path: str,
    body_of: str | None,
) -> None:
    url = dropship.base_url + path.format(supplier=dropship.supplier_id, order=scene.order.order_id)
    body = fill(VALID_BODIES[body_of], scene.values()) if body_of else None
    reply = target.session.request(method, url, json_body=body)
    judge_refusal(expect, reply, None, ("DS-ERR-004",), 404, NOT_FOUND)


# ---------------------------------------------------------------- invalid updates

UNKNOWN_SKU = {**ITEM, "Sku": "DC-NO-SUCH-SKU"}
UNKNOWN_STATUSES = ["Exception", 9, -1, ""]
# DEV-STATUS-NAME-OR-ID: a String field holding an id; refused or read as that id, both pass.
NUMERIC_STRING_STATUS = "6"


def without(item: dict[str, Any], field: str) -> dict[str, Any]:
    return {key: value for key, value in item.items() if key != field}


# The SHOULD that names the exact status of a refusal whose MUST accepts any 4xx
# (DEV-DROPSHIP-UNDOCUMENTED-ERRORS) -> that status.
EXACT_STATUSES = {"DS-ERR-007": 404, "DS-UPD-009": 400, "DS-ITEM-010": 400}

# (operation, OrderId of the URI, body, requirement, status (None: any 4xx), the SHOULD that
# names the exact status, id)
INVALID_UPDATES = [
    (
        "putOrderStatusUpdate",
        "$ID",
        {"Status": "Ordered"},
        "DS-UPD-003",
        None,
        "DS-UPD-009",
        "no-Id",
    ),
    ("putOrderStatusUpdate", "$ID", {"Id": "$ID"}, "DS-UPD-003", None, "DS-UPD-009", "no-Status"),
    (
        "putOrderStatusUpdate",
        "$ID",
        {"Id": "$ID", "Status": None},
        "DS-UPD-003",
        None,
        "DS-UPD-009",
        "null-Status",
    ),
    ("putOrderStatusUpdate", "$ID", {}, "DS-UPD-003", None, "DS-UPD-009", "empty-object"),
    (
        "putItemStatusUpdate",
        "$ID",
        {"ItemInformation": [ITEM]},
        "DS-ITEM-003",
        None,
        "DS-ITEM-010",
        "no-Id",
    ),
    ("putItemStatusUpdate", "$ID", {"Id": "$ID"}, "DS-ITEM-008", 400, None, "no-ItemInformation"),
    (
        "putItemStatusUpdate",
        "$ID",
        {"Id": "$ID", "ItemInformation": []},
        "DS-ITEM-008",
        400,
        None,
        "empty-ItemInformation",
    ),
    (
        "putItemStatusUpdate",
        "$ID",
        {"Id": "$ID", "ItemInformation": None},
        "DS-ITEM-008",
        400,
        None,
        "null-ItemInformation",
    ),
    (
        "putItemStatusUpdate",
        "$ID",
        {"Id": "$ID", "ItemInformation": [without(ITEM, "Sku")]},
        "DS-ITEM-004",
        None,
        "DS-ITEM-010",
        "item-without-Sku",
    ),
    (
        "putItemStatusUpdate",
        "$ID",
        {"Id": "$ID", "ItemInformation": [without(ITEM, "Status")]},
        "DS-ITEM-004",
        None,
        "DS-ITEM-010",
        "item-without-Status",
    ),
    (
        "putItemStatusUpdate",
        "$ID",
        {"Id": "$ID", "ItemInformation": [ITEM, without(ITEM, "Sku")]},
        "DS-ITEM-004",
        None,
        "DS-ITEM-010",
        "second-item-without-Sku",
    ),
    (
        "putItemStatusUpdate",
        "$ID",
        {"Id": "$ID", "ItemInformation": [UNKNOWN_SKU]},
        "DS-ITEM-005",
        400,
        None,
        "unknown-Sku",
    ),
    (
        "putItemStatusUpdate",
        "$ID",
        {"Id": "$ID", "ItemInformation": [ITEM, UNKNOWN_SKU]},
        "DS-ITEM-005",
        400,
        None,
        "known-and-unknown-Sku",
    ),
    (
        "putItemStatusUpdate",
        "$ID",
        {"Id": "$ID", "ItemInformation": [{**ITEM, "Sku": "$OTHER_SKU"}]},
        "DS-ITEM-005",
        400,
        None,
        "Sku-of-another-order",
    ),
    (
        "putOrderStatusUpdate",
        "$RANDOM",
        {"Id": "$RANDOM", "Status": "Ordered"},
        "DS-ERR-005",
        None,
        "DS-ERR-007",
        "unknown-order",
    ),
    (
        "putItemStatusUpdate",
        "$RANDOM",
        {"Id": "$RANDOM", "ItemInformation": [ITEM]},
        "DS-ERR-005",
        None,
        "DS-ERR-007",
        "unknown-order",
    ),
]


def valid_counterpart_accepted(
    dropship: DropshipClient, scene: Scene, operation: str, rule: str
) -> None:
    """Send the otherwise valid update the invalid one departs from; when it is refused too,
    a refusal of the invalid one would not show ``rule``: the test ends not checked."""
    body = fill(VALID_BODIES[operation], scene.values())
    reply = PUTS[operation](dropship, scene.order.order_id, body)
    if not 200 <= reply.status < 300:
        pytest.skip(
            f"{rule} not checked: the valid {operation} it departs from ({body!r}) was refused "
            f"too, so a refusal would not show {rule}: {describe(reply)}"
        )


@pytest.mark.parametrize(
    ("operation", "uri_id", "template", "rule", "status", "exact"),
    [
        pytest.param(
            operation,
            uri_id,
            template,
            rule,
            status,
            exact,
            id=f"{operation.removeprefix('put')}-{case}",
            marks=requirements(
                rule, *([exact] if exact else []), "HTTP-001", "HTTP-003", "HTTP-005"
            ),
        )
        for operation, uri_id, template, rule, status, exact, case in INVALID_UPDATES
    ],
)
def test_invalid_update_is_refused_and_not_recorded(
    dropship: DropshipClient,
    scene: Scene,
    expect: Expect,
    operation: str,
    uri_id: str,
    template: dict[str, Any],
    rule: str,
    status: int | None,
    exact: str | None,
) -> None:
    """Each row: refused (with the status its rule names), an Error body, no new feed entry.

    The row departs in one respect from an update the target accepts (sent first), so only
    the fault under test explains the refusal.
    """
    values = scene.values()
    order_id, body = fill(uri_id, values), fill(template, values)
    valid_counterpart_accepted(dropship, scene, operation, rule)
    watched = {values["ID"], values["OTHER"], values["RANDOM"]}
    before = fed_updates(dropship, watched)
    reply = PUTS[operation](dropship, order_id, body)
    expect.that(
        "HTTP-005",
        reply.status < 500,
        expected="a 4xx for a client mistake, never a 5xx",
        found=describe(reply),
    )
    judge_refusal(expect, reply, operation, (rule,), status)
    if exact is not None and 400 <= reply.status < 500:
        expect.equal(exact, reply.status, EXACT_STATUSES[exact], what="status of the refusal")
    judge_nothing_recorded(expect, rule, dropship, watched, before)


@pytest.mark.parametrize(
    ("operation", "rule"),
    [
        pytest.param(
            "putOrderStatusUpdate",
            "DS-UPD-004",
            id="OrderStatusUpdate",
            marks=requirements("DS-UPD-004", "HTTP-001", "HTTP-003"),
        ),
        pytest.param(
            "putItemStatusUpdate",
            "DS-ITEM-003",
            id="ItemStatusUpdate",
            marks=requirements("DS-ITEM-003", "HTTP-001", "HTTP-003"),
        ),
    ],
)
@pytest.mark.parametrize("body_id", ["$OTHER", "$RANDOM"], ids=["of-another-order", "of-no-order"])
def test_body_id_other_than_the_uris(
    dropship: DropshipClient,
    target: Target,
    scene: Scene,
    expect: Expect,
    operation: str,
    rule: str,
    body_id: str,
) -> None:
    """DEV-BODY-ID-MISMATCH: refused (4xx, nothing recorded) or, as 001's examples are
    answered 202, an update of the URI's order; never of the order the body names."""
    values = scene.values()
    body = {**fill(VALID_BODIES[operation], values), "Id": fill(body_id, values)}
    valid_counterpart_accepted(dropship, scene, operation, rule)
    watched = {values["ID"], values["OTHER"], values["RANDOM"]}
    before = fed_statuses(dropship, watched)
    reply = PUTS[operation](dropship, scene.order.order_id, body)
    expect.that(
        rule,
        200 <= reply.status < 300 or 400 <= reply.status < 500,
        expected="refused (4xx) or accepted as an update of the URI's order (2xx)",
        found=describe(reply),
    )
    if 400 <= reply.status < 500:
        judge_refusal(expect, reply, operation, (rule,), None)
        judge_nothing_recorded(expect, rule, dropship, watched, before)
        return
    uri_order = values["ID"].lower()
    fresh = eventually(
        lambda: {k: v for k, v in fed_statuses(dropship, watched).items() if k not in before},
        lambda found: any(order_id == uri_order for order_id, _ in found.values()),
        wait_seconds(target),
    )
    expect.none_of(
        rule,
        [
            f"entry {entry_id}: order {order_id}, statuses {statuses}"
            for entry_id, (order_id, statuses) in fresh.items()
            if order_id != uri_order
        ],
        expected=f"no update recorded for the order the body names ({body['Id']})",
    )
    expect.that(
        rule,
        any(order_id == uri_order for order_id, _ in fresh.values()),
        expected=f"the accepted update recorded for the URI's order {uri_order}",
        found=f"new entries {fresh!r}",
    )


@requirements("DS-STAT-003", "DS-STAT-005", "HTTP-001", "HTTP-003")
@pytest.mark.parametrize("value", [*UNKNOWN_STATUSES, NUMERIC_STRING_STATUS], ids=repr)
@pytest.mark.parametrize("operation", UPDATES)
def test_unknown_status_is_never_recorded(
    dropship: DropshipClient,
    target: Target,
    scene: Scene,
    expect: Expect,
    operation: str,
    value: Any,
) -> None:
    """DEV-STATUS-EXCEPTION: no document has an error row for it. Refused (400 is the SHOULD)
    or accepted, the feed never records a status outside the enumeration."""
    values = scene.values()
    body = fill(VALID_BODIES[operation], values)
    if operation == "putOrderStatusUpdate":
        body = {**body, "Status": value}
    else:
        body = {**body, "ItemInformation": [{**body["ItemInformation"][0], "Status": value}]}
    valid_counterpart_accepted(dropship, scene, operation, "DS-STAT-003")
    watched = {values["ID"]}
    before = fed_statuses(dropship, watched)
    reply = PUTS[operation](dropship, scene.order.order_id, body)
    documented = value in UNKNOWN_STATUSES
    expect.that(
        "DS-STAT-003",
        200 <= reply.status < 300 or 400 <= reply.status < 500,
        expected=f"Status {value!r} refused (4xx) or, if accepted, recorded as a documented status",
        found=describe(reply),
    )
    if documented:
        expect.equal("DS-STAT-005", reply.status, 400, what=f"status of the update with {value!r}")
    if 400 <= reply.status < 500:
        judge_refusal(expect, reply, operation, ("DS-STAT-003",), None)
        judge_nothing_recorded(expect, "DS-STAT-003", dropship, watched, before)
        return
    fresh = eventually(
        lambda: {k: v for k, v in fed_statuses(dropship, watched).items() if k not in before},
        bool,
        wait_seconds(target),
    )
    names = set(STATUS_NAMES.values())
    expect.none_of(
        "DS-STAT-003",
        [
            f"entry {entry_id}: status {status!r}"
            for entry_id, (_, statuses) in fresh.items()
            for status in statuses
            if status not in names
        ],
        expected=f"what the feed records for Status {value!r} is a documented status name",
    )


MALFORMED = [
    pytest.param("$ID", b"{not json", id="not-json"),
    pytest.param("$ID", b"", id="empty-body"),
    pytest.param("$ID", b'"Shipped"', id="json-string"),
    pytest.param("not-a-guid", b'{"Id": "not-a-guid", "Status": "Ordered"}', id="Id-not-a-GUID"),
]


@requirements("DS-ERR-006", "HTTP-005", "HTTP-001", "HTTP-003")
@pytest.mark.parametrize(("uri_id", "content"), MALFORMED)
@pytest.mark.parametrize("operation", UPDATES)
def test_malformed_update_gets_400(
    dropship: DropshipClient,
    scene: Scene,
    expect: Expect,
    operation: str,
    uri_id: str,
    content: bytes,
) -> None:
    order_id = fill(uri_id, scene.values())
    reply = PUTS[operation](
        dropship, order_id, None, content=content, headers={"Content-Type": JSON}
    )
    expect.that(
        "HTTP-005",
        reply.status < 500,
        expected="a 4xx for a malformed body, never a 5xx",
        found=describe(reply),
    )
    judge_refusal(expect, reply, operation, ("DS-ERR-006",), 400)


# ---------------------------------------------------------------- supplier isolation


@requirements("AUTH-002", "HTTP-001", "HTTP-003")
@pytest.mark.parametrize("operation", ["getNotifications", "getNotificationsPage"])
def test_other_suppliers_feed_is_refused(
    dropship: DropshipClient, target: Target, scene: Scene, expect: Expect, operation: str
) -> None:
    """This supplier's token on the other supplier's feed (and, by id, on this feed's page)."""
    reply = call(dropship, operation, scene, supplier_id=target.settings.other_supplier_id)
    judge_refusal(expect, reply, operation, ("AUTH-002",), None)


@pytest.fixture(scope="module")
def their_order(testdata: TestData) -> tuple[str, str, str]:
    """An order of the other supplier, one of its SKUs, and that supplier's token."""
    order = testdata.new_order(other_supplier=True)
    return order.order_id, order.skus[0], testdata.feed_options(True)["token"]


@requirements("AUTH-002", "DS-ERR-002", "HTTP-001", "HTTP-003")
@pytest.mark.parametrize("path_supplier", ["mine", "theirs"])
def test_other_suppliers_page_is_refused(
    dropship: DropshipClient,
    target: Target,
    their_order: tuple[str, str, str],
    expect: Expect,
    path_supplier: str,
) -> None:
    """A page of the other supplier's feed, under either SupplierId, with this token."""
    other = target.settings.other_supplier_id
    theirs = dropship.notifications(supplier_id=other, token=their_order[2])
    if theirs.status != 200:
        pytest.skip(f"cannot read supplier {other}'s feed with its token: {describe(theirs)}")
    match = re.search(r"/Pages\(([^)]*)\)", atom.read_feed(theirs.content).link("self") or "")
    if match is None:
        pytest.skip(f"supplier {other}'s feed names no page in its self link")
    supplier = dropship.supplier_id if path_supplier == "mine" else other
    reply = dropship.page(match.group(1), supplier_id=supplier)
    judge_refusal(expect, reply, "getNotificationsPage", ("AUTH-002",), None)
    if path_supplier == "mine":
        # 001 §ERRORS: a PageId naming no page of this supplier is an incorrect PageId.
        judge_refusal(expect, reply, "getNotificationsPage", ("DS-ERR-002",), 400, BAD_PAGE)


@requirements("AUTH-003", "HTTP-001", "HTTP-003")
@pytest.mark.parametrize("operation", UPDATES)
def test_update_under_another_supplier_id(
    dropship: DropshipClient, target: Target, scene: Scene, expect: Expect, operation: str
) -> None:
    """This supplier's own order, addressed under the other SupplierId with this token."""
    watched = {scene.order.order_id}
    before = fed_updates(dropship, watched)
    reply = call(dropship, operation, scene, supplier_id=target.settings.other_supplier_id)
    judge_refusal(expect, reply, operation, ("AUTH-003",), None)
    judge_nothing_recorded(expect, "AUTH-003", dropship, watched, before)


@requirements("AUTH-003", "HTTP-001", "HTTP-003")
@pytest.mark.parametrize("path_supplier", ["mine", "theirs"])
@pytest.mark.parametrize("operation", UPDATES)
def test_update_of_another_suppliers_order(
    dropship: DropshipClient,
    target: Target,
    their_order: tuple[str, str, str],
    expect: Expect,
    operation: str,
    path_supplier: str,
) -> None:
    """The other supplier's order, under either SupplierId, with this supplier's token."""
    order_id, sku, token = their_order
    other = target.settings.other_supplier_id
    supplier = dropship.supplier_id if path_supplier == "mine" else other
    body = fill(VALID_BODIES[operation], {"ID": order_id, "SKU": sku})
    watched = {order_id}
    theirs_before = fed_updates(dropship, watched, supplier_id=other, token=token)
    mine_before = fed_updates(dropship, watched)
    reply = PUTS[operation](dropship, order_id, body, supplier_id=supplier)
    judge_refusal(expect, reply, operation, ("AUTH-003",), None)
    judge_nothing_recorded(
        expect, "AUTH-003", dropship, watched, theirs_before, supplier_id=other, token=token
    )
    judge_nothing_recorded(expect, "AUTH-003", dropship, watched, mine_before)
