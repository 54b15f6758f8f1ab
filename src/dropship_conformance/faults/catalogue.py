"""The named faults: each breaks one requirement of ``specs/requirements.yaml``.

A fault is data: the requirement it breaks, the suites that must catch it, which requests it
applies to, and how it rewrites them (see :class:`~dropship_conformance.faults.proxy.Rewrite`).
"""

from __future__ import annotations

import copy
import dataclasses
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

from lxml import etree  # type: ignore[import-untyped]  # lxml ships no type stubs

from dropship_conformance.checks import ids
from dropship_conformance.faults.proxy import Call, HttpRequest, HttpResponse, Rewrite

ATOM = "{http://www.w3.org/2005/Atom}"
DS = "{urn:iQmetrix:dropship}"
OTHER_SUPPLIER_TOKEN = "sandbox-supplier-14107"
OTHER_COMPANY_TOKEN = "sandbox-company-33772"
STATUS_NAMES = {
    "PendingSupplier",
    "Ordered",
    "Shipped",
    "BackOrdered",
    "Error",
    "NotAvailable",
    "PartiallyShipped",
    "Cancelled",
    "Other",
}


@dataclass(frozen=True)
class Fault:
    name: str
    requirement: str
    suites: tuple[str, ...]
    description: str
    applies: Callable[[HttpRequest], bool]
    rewrite: Rewrite


# ----- which requests a fault applies to ---------------------------------------------------


def _path(method: str, pattern: str) -> Callable[[HttpRequest], bool]:
    compiled = re.compile(pattern)
    return lambda r: r.method == method and compiled.search(r.path) is not None


CURRENT = _path("GET", r"/Notifications$")
PAGE = _path("GET", r"/Notifications/Pages\(")
FEED = _path("GET", r"/Notifications")
ORDER_STATUS = _path("PUT", r"/OrderStatusUpdate$")
ITEM_STATUS = _path("PUT", r"/ItemStatusUpdate$")


def _orders(method: str = "") -> Callable[[HttpRequest], bool]:
    return lambda r: r.path.startswith("/orders/v1/") and (not method or r.method == method)


def _dropship(r: HttpRequest) -> bool:
    return r.path.startswith("/dropship/v1/")


def _both(*tests: Callable[[HttpRequest], bool]) -> Callable[[HttpRequest], bool]:
    return lambda r: any(test(r) for test in tests)


# ----- how it rewrites ---------------------------------------------------------------------


def _feed_edit(edit: Callable[[etree._Element], None]) -> Rewrite:
    """Change a 200 Atom response's document in place."""

    def response(_: HttpRequest, reply: HttpResponse) -> HttpResponse:
        if reply.status != 200 or reply.media_type != "application/atom+xml":
            return reply
        root = reply.xml()
        edit(root)
        return reply.with_xml(root)

    return Rewrite(response=response)


def _entries(root: etree._Element) -> list[etree._Element]:
    return cast("list[etree._Element]", root.findall(f"{ATOM}entry"))  # lxml is untyped


def _remove_link(rel: str) -> Callable[[etree._Element], None]:
    def edit(root: etree._Element) -> None:
        for link in root.findall(f"{ATOM}link"):
            if link.get("rel") == rel:
                root.remove(link)

    return edit


def _reverse_entries(root: etree._Element) -> None:
    entries = _entries(root)
    for entry in entries:
        root.remove(entry)
    root.extend(reversed(entries))


def _set_text(path: str, text: str) -> Callable[[etree._Element], None]:
    def edit(root: etree._Element) -> None:
        element = root.find(path)
        if element is not None:
            element.text = text

    return edit


def _reuse_first_entry_id(root: etree._Element) -> None:
    """The second entry, another event, takes the first entry's id (a lost event)."""
    entries = _entries(root)
    if len(entries) > 1:
        entries[1].find(f"{ATOM}id").text = entries[0].find(f"{ATOM}id").text


def _overfill(root: etree._Element) -> None:
    entries = _entries(root)
    for _ in range(51 - len(entries) if entries else 0):
        clone = copy.deepcopy(entries[0])
        clone.find(f"{ATOM}id").text = f"urn:uuid:{uuid.uuid4()}"
        root.append(clone)


def _drop_last_entry(root: etree._Element) -> None:
    entries = _entries(root)
    if entries:
        root.remove(entries[-1])


def _remove_first(tag: str) -> Callable[[etree._Element], None]:
    def edit(root: etree._Element) -> None:
        element = root.find(tag)
        if element is not None:
            root.remove(element)

    return edit


def _link_to_self(rel: str) -> Callable[[etree._Element], None]:
    def edit(root: etree._Element) -> None:
        self_link = next(
            (lk.get("href") for lk in root.findall(f"{ATOM}link") if lk.get("rel") == "self"), None
        )
        for link in root.findall(f"{ATOM}link"):
            if link.get("rel") == rel:
                link.set("href", self_link or "")

    return edit


def _foreign_payload_namespace(_: HttpRequest, reply: HttpResponse) -> HttpResponse:
    if reply.status != 200:
        return reply
    return reply.with_body(
        reply.body.replace(b'xmlns="urn:iQmetrix:dropship"', b'xmlns="urn:example:other"')
    )


def _other_supplier_payload(root: etree._Element) -> None:
    for supplier in root.iter(f"{DS}supplier-id"):
        supplier.text = "99999"
        return


def _json_response(
    edit: Callable[[object], object], *, statuses: tuple[int, ...] = (200, 201, 202)
) -> Rewrite:
    def response(_: HttpRequest, reply: HttpResponse) -> HttpResponse:
        if reply.status not in statuses or reply.media_type != "application/json":
            return reply
        return reply.with_json(edit(reply.json()))

    return Rewrite(response=response)


def _each_object(edit: Callable[[dict[str, Any]], None]) -> Callable[[object], object]:
    """Apply ``edit`` to a JSON object, every object of an array, and their ``Items``."""

    def apply(value: object) -> object:
        for obj in value if isinstance(value, list) else [value]:
            if isinstance(obj, dict):
                edit(obj)
                for item in obj.get("Items") or []:
                    edit(item)
        return value

    return apply


def _field(
    name: str,
    new: Callable[[dict[str, Any]], object],
    when: Callable[[dict[str, Any]], bool] = lambda o: True,
) -> Callable[[object], object]:
    def edit(obj: dict[str, Any]) -> None:
        if name in obj and when(obj):
            obj[name] = new(obj)

    return _each_object(edit)


def _status(code: int, *, when: tuple[int, ...], body: bytes = b"") -> Rewrite:
    """Answer ``code`` instead of the statuses in ``when`` (whose body holds ``body``)."""

    def response(_: HttpRequest, reply: HttpResponse) -> HttpResponse:
        if reply.status in when and body in reply.body:
            return HttpResponse(code, reply.headers, reply.body)
        return reply

    return Rewrite(response=response)


def _message(old: str, new: str) -> Rewrite:
    def response(_: HttpRequest, reply: HttpResponse) -> HttpResponse:
        if reply.media_type == "application/json" and old.encode() in reply.body:
            return reply.with_body(reply.body.replace(old.encode(), new.encode()))
        return reply

    return Rewrite(response=response)


def _echo_request(status: int) -> Callable[[HttpRequest, Call], Awaitable[HttpResponse]]:
    """Answer as if accepted, without asking the application: a lost write."""

    async def handle(request: HttpRequest, call: Call) -> HttpResponse:
        return HttpResponse(status, (("content-type", "application/json"),), request.body)

    return handle


async def _accept_refused(request: HttpRequest, call: Call) -> HttpResponse:
    reply = await call(request)
    if reply.status == 400:
        return HttpResponse(202, (("content-type", "application/json"),), request.body)
    return reply


def _known_status(request: HttpRequest) -> HttpRequest:
    try:
        body = request.json()
    except ValueError:
        return request
    valid = STATUS_NAMES | set(range(9))
    items = body.get("ItemInformation") if isinstance(body, dict) else None
    targets = [body, *(items if isinstance(items, list) else [])] if isinstance(body, dict) else []
    for target in targets:
        if isinstance(target, dict) and "Status" in target:
            status = target["Status"]
            if not isinstance(status, str | int) or isinstance(status, bool) or status not in valid:
                target["Status"] = "Other"
    return request.with_json(body)


def _order_from_body(request: HttpRequest) -> HttpRequest:
    """The update is applied to the order its body Id names, not to the URI's."""
    try:
        body = request.json()
    except ValueError:
        return request
    if not isinstance(body, dict) or not isinstance(body.get("Id"), str):
        return request
    path = re.sub(r"/Orders\([^)]*\)", f"/Orders({body['Id']})", request.path)
    return dataclasses.replace(request, path=path)


def _id_from_uri_when_missing(request: HttpRequest) -> HttpRequest:
    match = re.search(r"/Orders\(([^)]*)\)", request.path)
    try:
        body = request.json()
    except ValueError:
        return request
    if match and isinstance(body, dict) and "Id" not in body:
        return request.with_json({"Id": match.group(1), **body})
    return request


def _numeric_tracking_as_zero(request: HttpRequest) -> HttpRequest:
    """A TrackingInfo sent as a JSON number is taken as "0" (neither the number nor its digits)."""
    try:
        body = request.json()
    except ValueError:
        return request
    if not isinstance(body, dict):
        return request
    targets = [body, *[i for i in body.get("ItemInformation") or [] if isinstance(i, dict)]]
    for target in targets:
        value = target.get("TrackingInfo")
        if isinstance(value, int) and not isinstance(value, bool):
            target["TrackingInfo"] = "0"
    return request.with_json(body)


def _echo_items_without_message(echo: object) -> object:
    if isinstance(echo, dict):
        for info in echo.get("ItemInformation") or []:
            if isinstance(info, dict):
                info.pop("Message", None)
    return echo


def _status_other_fed_as_exception(root: etree._Element) -> None:
    for status in root.iter(f"{DS}status"):
        if status.text == "Other":
            status.text = "Exception"


async def _accept_unknown_order(request: HttpRequest, call: Call) -> HttpResponse:
    reply = await call(request)
    if reply.status == 404:
        return HttpResponse(202, (("content-type", "application/json"),), request.body)
    return reply


async def _refuse_but_record_untracked_shipment(request: HttpRequest, call: Call) -> HttpResponse:
    """A Shipped OrderStatusUpdate without TrackingInfo is recorded, then answered 400."""
    try:
        body = request.json()
    except ValueError:
        return await call(request)
    if not isinstance(body, dict) or body.get("Status") not in ("Shipped", 2):
        return await call(request)
    if body.get("TrackingInfo") is not None:
        return await call(request)
    await call(request.with_json({**body, "TrackingInfo": "RECORDED-ANYWAY"}))
    message = b'{"Message": "TrackingInfo: is required when Status is Shipped"}'
    return HttpResponse(400, (("content-type", "application/json"),), message)


async def _first_item_only(request: HttpRequest, call: Call) -> HttpResponse:
    try:
        body = request.json()
        kept = dict(body, ItemInformation=body["ItemInformation"][:1])
    except (ValueError, KeyError, TypeError):
        return await call(request)
    reply = await call(request.with_json(kept))
    return reply.with_body(request.body) if reply.status in (200, 202) else reply


def _first_tracking_number_in_feed(root: etree._Element) -> None:
    for tracking in root.iter(f"{DS}tracking-info"):
        if tracking.text and "," in tracking.text:
            tracking.text = tracking.text.split(",")[0]


async def _state_machine_lenient(
    request: HttpRequest, call: Call, only: str | None
) -> HttpResponse:
    reply = await call(request)
    if reply.status != 409:
        return reply
    try:
        state = request.json().get("State")
    except (ValueError, AttributeError):
        return reply
    match = re.search(r"/Companies\((\d+)\)/(?:Orders|OrderFull)\(([^)]*)\)", request.path)
    if state is None or match is None or (only is not None and state != only):
        return reply
    company, order_id = match.groups()
    forced = HttpRequest("POST", f"/_sandbox/companies/{company}/orders/{order_id}/state", body=b"")
    await call(forced.with_json({"State": state}).with_header("content-type", "application/json"))
    return await call(
        HttpRequest(
            "GET", f"/orders/v1/Companies({company})/Orders({order_id})", headers=request.headers
        )
    )


def _lenient(only: str | None) -> Rewrite:
    return Rewrite(handle=lambda request, call: _state_machine_lenient(request, call, only))


async def _process_without_billing(request: HttpRequest, call: Call) -> HttpResponse:
    reply = await call(request)
    if reply.status == 400 and b"Billing Customer" in reply.body:
        match = re.search(r"/Orders\(([^)]*)\)", request.path)
        assert match is not None  # the fault applies to POST .../Orders(id)/Process only
        order_id = match.group(1)
        return reply.with_json({"Id": 1, "OrderId": order_id}, status=201)
    return reply


def _drop_filter_on(field: str) -> Callable[[HttpRequest], HttpRequest]:
    def request(r: HttpRequest) -> HttpRequest:
        return r.with_params({}) if field in r.params().get("$filter", "") else r

    return request


async def _item_takes_body_order_id(request: HttpRequest, call: Call) -> HttpResponse:
    reply = await call(request)
    try:
        sent, answer = request.json(), reply.json()
    except ValueError:
        return reply
    if reply.status == 201 and isinstance(sent, dict) and sent.get("OrderId"):
        return reply.with_json({**answer, "OrderId": sent["OrderId"]})
    return reply


def _company_uri_ignored(r: HttpRequest) -> HttpRequest:
    path = r.path.replace("/Companies(33772)", "/Companies(14146)")
    return HttpRequest(r.method, path, r.query, r.headers, r.body)


async def _create_takes_state(request: HttpRequest, call: Call) -> HttpResponse:
    try:
        sent = request.json()
    except ValueError:
        return await call(request)
    wanted = sent.get("State") if isinstance(sent, dict) else None
    if wanted not in ("Processed", "Cancelled", "Completed"):
        return await call(request)
    reply = await call(request.with_json({k: v for k, v in sent.items() if k != "State"}))
    if reply.status == 201:
        return reply.with_json({**reply.json(), "State": wanted})
    return reply


async def _full_update_drops_a_sent_item(request: HttpRequest, call: Call) -> HttpResponse:
    reply = await call(request)
    answer = reply.json() if reply.status == 200 else None
    if isinstance(answer, dict) and answer.get("Items"):
        return reply.with_json({**answer, "Items": answer["Items"][:-1]})
    return reply


async def _process_names_another_order(request: HttpRequest, call: Call) -> HttpResponse:
    reply = await call(request)
    if reply.status == 201:
        return reply.with_json({**reply.json(), "OrderId": str(uuid.uuid4())})
    return reply


async def _expired_accepted(request: HttpRequest, call: Call) -> HttpResponse:
    reply = await call(request)
    if reply.status == 409 and b'"Conflict"' in reply.body:
        match = re.search(r"/Companies\((\d+)\)/(?:Orders|OrderFull)\(([^)]*)\)", request.path)
        if match:
            company, order_id = match.groups()
            get = HttpRequest(
                "GET",
                f"/orders/v1/Companies({company})/Orders({order_id})",
                headers=request.headers,
            )
            return await call(get)
    return reply


async def _other_company_visible(request: HttpRequest, call: Call) -> HttpResponse:
    reply = await call(request)
    match = re.search(r"^/orders/v1/Companies\((\d+)\)(/.*)$", request.path)
    if reply.status == 404 and match and match.group(1) != "33772":
        other = HttpRequest(
            request.method,
            f"/orders/v1/Companies(33772){match.group(2)}",
            request.query,
            request.headers,
            request.body,
        ).with_header("authorization", f"Bearer {OTHER_COMPANY_TOKEN}")
        found = await call(other)
        return found if found.status < 400 else reply
    return reply


def _swap_token(pattern: str, token: str) -> Rewrite:
    compiled = re.compile(pattern)

    def request(r: HttpRequest) -> HttpRequest:
        return r.with_header("authorization", f"Bearer {token}") if compiled.search(r.path) else r

    return Rewrite(request=request)


def _drop_first_entry(root: etree._Element) -> None:
    entries = _entries(root)
    if entries:
        root.remove(entries[0])


async def _page_not_validated(request: HttpRequest, call: Call) -> HttpResponse:
    reply = await call(request)
    if reply.status == 400:
        current = re.sub(r"/Pages\([^)]*\)$", "", request.path)
        return await call(HttpRequest("GET", current, headers=request.headers))
    return reply


def _content_type(media_type: str, *, errors_only: bool = False) -> Rewrite:
    def response(_: HttpRequest, reply: HttpResponse) -> HttpResponse:
        if errors_only and reply.status < 400:
            return reply
        return reply.with_header("content-type", media_type)

    return Rewrite(response=response)


def _fill_missing(defaults: dict[str, object]) -> Rewrite:
    """The body's missing fields are filled in, so the server never sees them missing."""

    def request(r: HttpRequest) -> HttpRequest:
        try:
            body = r.json()
        except ValueError:
            return r
        return r.with_json({**defaults, **body}) if isinstance(body, dict) else r

    return Rewrite(request=request)


async def _state_required(request: HttpRequest, call: Call) -> HttpResponse:
    try:
        body = request.json()
    except ValueError:
        return await call(request)
    if isinstance(body, dict) and "State" not in body:
        message = b'{"Message": "State is required"}'
        return HttpResponse(409, (("content-type", "application/json"),), message)
    return await call(request)


# ----- the table ----------------------------------------------------------------------------

FAULTS: tuple[Fault, ...] = (
    Fault(
        "feed-served-as-text-xml",
        ids.DS_FEED_001,
        ("feed",),
        "the feed answers Content-Type text/xml",
        FEED,
        _content_type("text/xml; charset=utf-8"),
    ),
    Fault(
        "feed-entries-oldest-first",
        ids.DS_FEED_008,
        ("feed",),
        "entries listed oldest first",
        CURRENT,
        _feed_edit(_reverse_entries),
    ),
    Fault(
        "feed-updated-before-entries",
        ids.DS_FEED_006,
        ("feed",),
        "feed updated set to 2000-01-01",
        CURRENT,
        _feed_edit(_set_text(f"{ATOM}updated", "2000-01-01T00:00:00Z")),
    ),
    Fault(
        "feed-entry-id-not-uuid",
        ids.DS_FEED_004,
        ("feed",),
        "first entry id is 000's malformed urn:uuid",
        CURRENT,
        _feed_edit(
            _set_text(f"{ATOM}entry/{ATOM}id", "urn:uuid:gf456fd486-df4s56g-d45fdsf-f74ds8fds456fs")
        ),
    ),
    Fault(
        "feed-relative-id",
        ids.DS_FEED_003,
        ("feed",),
        "feed id is a relative reference",
        CURRENT,
        _feed_edit(_set_text(f"{ATOM}id", "page-1")),
    ),
    Fault(
        "feed-entry-id-reused",
        ids.DS_FEED_005,
        ("feed",),
        "the second entry, another event, carries the first entry's id",
        CURRENT,
        _feed_edit(_reuse_first_entry_id),
    ),
    Fault(
        "feed-page-over-50",
        ids.DS_FEED_009,
        ("feed",),
        "the current document holds 51 entries",
        CURRENT,
        _feed_edit(_overfill),
    ),
    Fault(
        "feed-no-self-link",
        ids.DS_FEED_010,
        ("feed",),
        "the current document lacks link rel=self",
        CURRENT,
        _feed_edit(_remove_link("self")),
    ),
    Fault(
        "feed-foreign-payload-namespace",
        ids.DS_FEED_011,
        ("feed",),
        "payloads in namespace urn:example:other",
        CURRENT,
        Rewrite(response=_foreign_payload_namespace),
    ),
    Fault(
        "feed-missing-title",
        ids.DS_FEED_013,
        ("feed",),
        "the feed has no atom:title",
        CURRENT,
        _feed_edit(_remove_first(f"{ATOM}title")),
    ),
    Fault(
        "feed-other-suppliers-event",
        ids.DS_FEED_016,
        ("feed",),
        "an entry carries supplier-id 99999",
        CURRENT,
        _feed_edit(_other_supplier_payload),
    ),
    Fault(
        "archive-51-entries",
        ids.DS_ARCH_001,
        ("archive",),
        "archive pages hold 51 entries",
        PAGE,
        _feed_edit(_overfill),
    ),
    Fault(
        "archive-loses-newest-entry",
        ids.DS_ARCH_005,
        ("archive",),
        "every archive page leaves out its newest entry: the walk misses it",
        PAGE,
        _feed_edit(_drop_first_entry),
    ),
    Fault(
        "archive-next-link-to-itself",
        ids.DS_ARCH_004,
        ("archive",),
        "next-archive points to the page itself",
        PAGE,
        _feed_edit(_link_to_self("next-archive")),
    ),
    Fault(
        "current-without-prev-archive",
        ids.DS_ARCH_009,
        ("archive",),
        "the current document drops prev-archive",
        CURRENT,
        _feed_edit(_remove_link("prev-archive")),
    ),
    Fault(
        "page-id-not-validated",
        ids.DS_ERR_002,
        ("archive",),
        "any PageId answers the current document",
        PAGE,
        Rewrite(handle=_page_not_validated),
    ),
    Fault(
        "update-lost-write",
        ids.DS_UPD_006,
        ("full_shipment",),
        "OrderStatusUpdate answers 202 but records nothing",
        ORDER_STATUS,
        Rewrite(handle=_echo_request(202)),
    ),
    Fault(
        "update-answers-500",
        ids.DS_UPD_001,
        ("full_shipment",),
        "an accepted OrderStatusUpdate answers 500",
        ORDER_STATUS,
        _status(500, when=(200, 202)),
    ),
    Fault(
        "update-echo-without-tracking",
        ids.DS_TRK_001,
        ("full_shipment",),
        "the echo drops TrackingInfo",
        ORDER_STATUS,
        _json_response(_field("TrackingInfo", lambda o: None)),
    ),
    Fault(
        "update-records-unknown-status",
        ids.DS_STAT_003,
        ("errors",),
        "unknown statuses are accepted and fed as Exception",
        _both(ORDER_STATUS, ITEM_STATUS, FEED),
        Rewrite(
            request=_known_status,
            response=_feed_edit(_status_other_fed_as_exception).response,
        ),
    ),
    Fault(
        "update-applies-body-id",
        ids.DS_UPD_004,
        ("errors",),
        "an OrderStatusUpdate updates the order its body Id names",
        ORDER_STATUS,
        Rewrite(request=_order_from_body),
    ),
    Fault(
        "item-update-without-id-accepted",
        ids.DS_ITEM_003,
        ("errors",),
        "an ItemStatusUpdate without Id takes the URI's OrderId",
        ITEM_STATUS,
        Rewrite(request=_id_from_uri_when_missing),
    ),
    Fault(
        "item-echo-drops-message",
        ids.DS_ITEM_001,
        ("partial_shipment",),
        "the ItemStatusUpdate echo leaves out each item's Message",
        ITEM_STATUS,
        _json_response(_echo_items_without_message),
    ),
    Fault(
        "numeric-tracking-taken-as-zero",
        ids.DS_TRK_001,
        ("full_shipment",),
        'a TrackingInfo sent as a JSON number is accepted as "0"',
        _both(ORDER_STATUS, ITEM_STATUS),
        Rewrite(request=_numeric_tracking_as_zero),
    ),
    Fault(
        "update-accepts-unknown-order",
        ids.DS_ERR_005,
        ("errors",),
        "an update of an order the supplier does not have answers 202",
        _both(ORDER_STATUS, ITEM_STATUS),
        Rewrite(handle=_accept_unknown_order),
    ),
    Fault(
        "untracked-shipment-refused-but-recorded",
        ids.DS_TRK_001,
        ("full_shipment",),
        "a Shipped update without TrackingInfo answers 400 but is fed",
        ORDER_STATUS,
        Rewrite(handle=_refuse_but_record_untracked_shipment),
    ),
    Fault(
        "item-update-drops-items",
        ids.DS_EVT_006,
        ("partial_shipment",),
        "only the first ItemInformation is recorded",
        ITEM_STATUS,
        Rewrite(handle=_first_item_only),
    ),
    Fault(
        "item-update-accepts-invalid-items",
        ids.DS_ITEM_004,
        ("errors",),
        "refused item updates (an ItemInformation without Sku or Status) answer 202",
        ITEM_STATUS,
        Rewrite(handle=_accept_refused),
    ),
    Fault(
        "feed-keeps-first-tracking-number",
        ids.DS_TRK_001,
        ("partial_shipment",),
        "the feed keeps only the first of comma-delimited tracking numbers",
        FEED,
        _feed_edit(_first_tracking_number_in_feed),
    ),
    Fault(
        "orders-create-answers-200",
        ids.ORD_CRT_001,
        ("lifecycle",),
        "POST Orders answers 200",
        _orders("POST"),
        _status(200, when=(201,)),
    ),
    Fault(
        "schema-order-id-not-a-guid",
        ids.ORD_CRT_001,
        ("schema",),
        "orders come back with Id 12345",
        _orders(),
        _json_response(_field("Id", lambda o: "12345")),
    ),
    Fault(
        "orders-printable-id-missing",
        ids.ORD_CRT_002,
        ("lifecycle",),
        "orders come back without PrintableId",
        _orders(),
        _json_response(_field("PrintableId", lambda o: None)),
    ),
    Fault(
        "orders-expiry-ignores-hours",
        ids.ORD_CRT_003,
        ("lifecycle",),
        "OrderExpiryDate equals CreatedDateUtc",
        _orders(),
        _json_response(_field("OrderExpiryDate", lambda o: o.get("CreatedDateUtc"))),
    ),
    Fault(
        "orders-default-expiry-24",
        ids.ORD_CRT_004,
        ("lifecycle",),
        "OrderExpiryHours 72 shows as 24",
        _orders(),
        _json_response(
            _field("OrderExpiryHours", lambda o: 24, lambda o: o.get("OrderExpiryHours") == 72)
        ),
    ),
    Fault(
        "orders-cancel-from-any-state",
        ids.ORD_STATE_002,
        ("cancellation",),
        "Cancelled is accepted from any state",
        _orders("PUT"),
        _lenient("Cancelled"),
    ),
    Fault(
        "orders-any-transition",
        ids.ORD_STATE_003,
        ("lifecycle",),
        "every manual transition is accepted",
        _orders("PUT"),
        _lenient(None),
    ),
    Fault(
        "orders-create-fills-in-entity-and-type",
        ids.ORD_CRT_006,
        ("errors",),
        "POST Orders and OrderFull without EntityId or OrderTypeId answer 201",
        _path("POST", r"/Companies\(\d+\)/(?:Orders|OrderFull)$"),
        _fill_missing({"EntityId": 14202, "OrderTypeId": 3}),
    ),
    Fault(
        "orders-item-fills-in-status-and-type",
        ids.ORD_ITEM_002,
        ("errors",),
        "POST Items without ItemStatusId or ItemTypeId answers 201",
        _path("POST", r"/Items$"),
        _fill_missing({"ItemTypeId": 2, "ItemStatusId": 9}),
    ),
    Fault(
        "orders-update-requires-state",
        ids.ORD_STATE_004,
        ("lifecycle",),
        "PUT Orders without State answers 409",
        _path("PUT", r"/Orders\([^)]*\)$"),
        Rewrite(handle=_state_required),
    ),
    Fault(
        "orders-full-update-in-any-state",
        ids.ORD_FULL_005,
        ("errors",),
        "PUT OrderFull of a Processed or Cancelled order answers 200",
        _path("PUT", r"/OrderFull\("),
        _status(200, when=(409,), body=b"Resource state transition"),
    ),
    Fault(
        "orders-billing-message-reworded",
        ids.ORD_ERR_001,
        ("errors",),
        "Process without billing customer says neither documented message",
        _path("POST", r"/Process$"),
        _message("Billing Customer (id=", "No billing customer (id="),
    ),
    Fault(
        "orders-process-without-billing",
        ids.ORD_ERR_001,
        ("errors",),
        "Process without billing customer answers 201",
        _path("POST", r"/Process$"),
        Rewrite(handle=_process_without_billing),
    ),
    Fault(
        "orders-state-filter-ignored",
        ids.ORD_FLT_002,
        ("lifecycle",),
        "$filter on State and EntityId is ignored",
        _orders("GET"),
        Rewrite(request=_drop_filter_on("State")),
    ),
    Fault(
        "orders-printable-id-filter-ignored",
        ids.ORD_FLT_003,
        ("lifecycle",),
        "$filter on PrintableId is ignored",
        _orders("GET"),
        Rewrite(request=_drop_filter_on("PrintableId")),
    ),
    Fault(
        "orders-item-takes-body-order-id",
        ids.ORD_ITEM_004,
        ("lifecycle",),
        "an added item answers the OrderId its body names, not the URI's",
        _path("POST", r"/Items$"),
        Rewrite(handle=_item_takes_body_order_id),
    ),
    Fault(
        "orders-create-takes-state",
        ids.ORD_CRT_001,
        ("lifecycle",),
        "a create sent with State Processed makes a Processed order",
        _both(_path("POST", r"/Orders$"), _path("POST", r"/OrderFull$")),
        Rewrite(handle=_create_takes_state),
    ),
    Fault(
        "orders-full-update-drops-a-sent-item",
        ids.ORD_FULL_004,
        ("lifecycle",),
        "PUT OrderFull answers without the last item it was sent",
        _path("PUT", r"/OrderFull\("),
        Rewrite(handle=_full_update_drops_a_sent_item),
    ),
    Fault(
        "orders-company-uri-ignored",
        ids.AUTH_004,
        ("errors",),
        "Companies(33772) in the URI is served as the token's own company",
        _orders(),
        Rewrite(request=_company_uri_ignored),
    ),
    Fault(
        "schema-process-names-another-order",
        ids.ORD_PROC_001,
        ("schema",),
        "Process answers a well-formed ProcessResponse naming another OrderId",
        _path("POST", r"/Process$"),
        Rewrite(handle=_process_names_another_order),
    ),
    Fault(
        "orders-ordertype-name-wrong",
        ids.ORD_ENUM_002,
        ("lifecycle",),
        "OrderType always Sales",
        _orders(),
        _json_response(_field("OrderType", lambda o: "Sales")),
    ),
    Fault(
        "orders-itemstatus-name-wrong",
        ids.ORD_ENUM_004,
        ("lifecycle",),
        "ItemStatus New shows as Processed",
        _orders(),
        _json_response(
            _field("ItemStatus", lambda o: "Processed", lambda o: o.get("ItemStatus") == "New")
        ),
    ),
    Fault(
        "orders-item-defaults-null",
        ids.ORD_ITEM_003,
        ("lifecycle",),
        "item Cost 0 shows as null",
        _orders(),
        _json_response(_field("Cost", lambda o: None, lambda o: o.get("Cost") == 0)),
    ),
    Fault(
        "orders-expired-accepted",
        ids.ORD_EXP_001,
        ("errors",),
        "updates of an expired order answer 200",
        _orders(),
        Rewrite(handle=_expired_accepted),
    ),
    Fault(
        "orders-other-company-visible",
        ids.AUTH_004,
        ("errors",),
        "another company's order is served",
        _orders(),
        Rewrite(handle=_other_company_visible),
    ),
    Fault(
        "auth-ignored",
        ids.AUTH_001,
        ("errors",),
        "requests without a valid token are served",
        _both(_dropship, _orders()),
        Rewrite(request=lambda r: r.with_header("authorization", "Bearer sandbox-token")),
    ),
    Fault(
        "dropship-other-suppliers-feed",
        ids.AUTH_002,
        ("errors",),
        "another supplier's feed is served to this token",
        FEED,
        _swap_token(r"/Suppliers\(14107\)", OTHER_SUPPLIER_TOKEN),
    ),
    Fault(
        "dropship-update-other-suppliers-order",
        ids.AUTH_003,
        ("errors",),
        "another supplier's orders can be updated",
        _both(ORDER_STATUS, ITEM_STATUS),
        _swap_token(r"/Suppliers\(14107\)", OTHER_SUPPLIER_TOKEN),
    ),
    Fault(
        "error-supplier-message",
        ids.DS_ERR_001,
        ("errors",),
        "bad SupplierId answers another message",
        _dropship,
        _message("Cannot find supplier identifier in the uri", "Supplier not found"),
    ),
    Fault(
        "error-invalid-token-403",
        ids.DS_ERR_003,
        ("errors",),
        "an invalid token answers 403",
        _dropship,
        _status(403, when=(401,)),
    ),
    Fault(
        "error-unknown-path-400",
        ids.DS_ERR_004,
        ("errors",),
        "an unknown path answers 400",
        lambda r: True,
        _status(400, when=(404,), body=b'"Not found"'),
    ),
    Fault(
        "error-entity-message",
        ids.ORD_ERR_003,
        ("errors",),
        "Entity is not related to company is reworded",
        _orders(),
        _message("Entity is not related to company", "Invalid entity"),
    ),
    Fault(
        "error-order-not-found-500",
        ids.ORD_ERR_005,
        ("errors",),
        "an unknown order answers 500",
        _orders(),
        _status(500, when=(404,)),
    ),
    Fault(
        "error-body-text-plain",
        ids.HTTP_001,
        ("errors",),
        "error bodies are served as text/plain",
        _both(_dropship, _orders()),
        _content_type("text/plain", errors_only=True),
    ),
)


def fault(name: str) -> Fault:
    for candidate in FAULTS:
        if candidate.name == name:
            return candidate
    raise KeyError(f"no fault named {name!r}")
