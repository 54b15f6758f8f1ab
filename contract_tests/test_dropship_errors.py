"""Errors suite, Supplier Orders API: every documented error row (001 §ERRORS, 000 §Errors) with
its status and message, the undocumented refusals the catalogue decides
(DEV-DROPSHIP-UNDOCUMENTED-ERRORS), invalid update bodies, and supplier isolation; the cases are
the tables of harness/dropship_error_cases.py. A refused update must record nothing: the feed
is read before and after each one.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import pytest

from dropship_conformance.checks import auth, errors, ids
from dropship_conformance.checks.primitives import describe
from dropship_conformance.client import DropshipClient, Reply
from dropship_conformance.errors import SetupImpossible
from dropship_conformance.feed import atom
from dropship_conformance.harness import dropship_error_cases as cases
from dropship_conformance.harness.error_cases import (
    Fed,
    fed_statuses,
    fed_updates,
    fill,
    judge_nothing_recorded,
    judge_refusal,
    put,
    require_accepted,
    send,
)
from dropship_conformance.harness.target import Target
from dropship_conformance.harness.testdata import DropshipOrder, TestData
from dropship_conformance.harness.updates import eventually, wait_seconds
from dropship_conformance.verdicts import Expect

pytestmark = [pytest.mark.errors, pytest.mark.dropship]
requirements = pytest.mark.requirements


def page_of(reply: Reply) -> str | None:
    """The PageId the self link of a feed answer names."""
    match = re.search(r"/Pages\(([^)]*)\)", atom.read_feed(reply.content).link("self") or "")
    return match.group(1) if match else None


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
            "SECOND_SKU": self.order.skus[-1],
            "OTHER_SKU": self.other.skus[0],
            "RANDOM": str(uuid.uuid5(uuid.NAMESPACE_URL, f"no-such-order:{self.order.order_id}")),
        }

    def watched(self) -> set[str]:
        """Every order an update of the scene could wrongly record something for."""
        values = self.values()
        return {values["ID"], values["OTHER"], values["RANDOM"]}


@pytest.fixture(scope="module")
def scene(testdata: TestData, dropship: DropshipClient) -> Scene:
    order, other = testdata.new_order(), testdata.new_order()
    reply = dropship.notifications()
    return Scene(order, other, page_of(reply) if reply.status == 200 else None)


def call(dropship: DropshipClient, operation: str, scene: Scene, **options: Any) -> Reply:
    """One otherwise valid request of ``operation`` for the scene's order and page."""
    if operation == "getNotificationsPage" and scene.page_id is None:
        raise SetupImpossible(
            "the current feed document has no self link naming a page (DS-FEED-010)"
        )
    body = fill(cases.VALID_BODIES.get(operation), scene.values())
    supplier = options.pop("supplier_id", dropship.supplier_id)
    path = {"SupplierId": supplier, "OrderId": scene.order.order_id, "PageId": scene.page_id}
    return send(dropship.session, dropship.base_url, operation, path, body, **options)


def valid_counterpart_accepted(
    dropship: DropshipClient, scene: Scene, operation: str, valid: Any = None
) -> None:
    """Send the otherwise valid update the invalid one departs from (``valid``, by default the
    operation's VALID_BODIES); when it is refused too, a refusal of the invalid one would not
    show its rule: the test ends not checked."""
    body = fill(cases.VALID_BODIES[operation] if valid is None else valid, scene.values())
    valid = put(dropship, operation, scene.order.order_id, body)
    require_accepted(valid, f"the valid {operation} it departs from ({body!r})")


def fresh_entries(
    dropship: DropshipClient,
    target: Target,
    watched: set[str],
    before: Fed,
    holds: Callable[[Fed], bool] = bool,
) -> Fed:
    """The entries an accepted update added, once ``holds`` (by default: once there are any)."""
    return eventually(
        lambda: {k: v for k, v in fed_statuses(dropship, watched).items() if k not in before},
        holds,
        wait_seconds(target),
    )


# ---------------------------------------------------------------- documented rows


@requirements(ids.DS_ERR_001, ids.HTTP_001, ids.HTTP_003)
@pytest.mark.parametrize("supplier_id", cases.SUPPLIER_IDS.values(), ids=cases.SUPPLIER_IDS)
@pytest.mark.parametrize("operation", cases.OPERATIONS)
def test_bad_supplier_id(
    dropship: DropshipClient, scene: Scene, expect: Expect, operation: str, supplier_id: str
) -> None:
    reply = call(dropship, operation, scene, supplier_id=supplier_id)
    judge_refusal(expect, reply, operation, (ids.DS_ERR_001,), 400, cases.BAD_SUPPLIER)


@requirements(ids.AUTH_001, ids.HTTP_001, ids.HTTP_003)
@pytest.mark.parametrize(
    "credentials",
    [pytest.param(c, id=c.name, marks=requirements(c.rule)) for c in cases.CREDENTIALS],
)
@pytest.mark.parametrize("operation", cases.OPERATIONS)
def test_bad_token(
    dropship: DropshipClient,
    target: Target,
    scene: Scene,
    expect: Expect,
    operation: str,
    credentials: cases.Credentials,
) -> None:
    options: dict[str, Any] = {"token": credentials.token}
    if credentials.scheme is not None:
        # The right token under another scheme: only "Bearer" is the documented one (002 Step 1).
        options["headers"] = {"Authorization": f"{credentials.scheme} {target.settings.token}"}
    watched = {scene.order.order_id}
    before = fed_updates(dropship, watched) if operation in cases.UPDATES else {}
    reply = call(dropship, operation, scene, **options)
    auth.refused.under(ids.AUTH_001)(expect, reply, operation)
    if credentials.token is None:
        # No error row: neither the status nor the body is documented (HTTP-001 leaves it open).
        auth.answered_401(expect, reply)
    else:
        judge_refusal(expect, reply, operation, (ids.DS_ERR_003,), 401, cases.INVALID_TOKEN)
    if operation in cases.UPDATES:
        judge_nothing_recorded(expect, ids.AUTH_001, dropship, watched, before)


@requirements(ids.DS_ERR_004, ids.HTTP_001, ids.HTTP_003)
@pytest.mark.parametrize("case", cases.UNKNOWN_PATHS, ids=attrgetter("name"))
def test_unknown_path(
    dropship: DropshipClient, target: Target, scene: Scene, expect: Expect, case: cases.UnknownPath
) -> None:
    path = case.path.format(supplier=dropship.supplier_id, order=scene.order.order_id)
    body = fill(cases.VALID_BODIES[case.body_of], scene.values()) if case.body_of else None
    reply = target.session.request(case.method, dropship.base_url + path, json_body=body)
    judge_refusal(expect, reply, None, (ids.DS_ERR_004,), 404, cases.NOT_FOUND)


# ---------------------------------------------------------------- invalid updates


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            case,
            id=case.name,
            marks=requirements(
                case.rule,
                *([case.exact] if case.exact else []),
                ids.HTTP_001,
                ids.HTTP_003,
                ids.HTTP_005,
            ),
        )
        for case in cases.INVALID_UPDATES
    ],
)
def test_invalid_update_is_refused_and_not_recorded(
    dropship: DropshipClient, scene: Scene, expect: Expect, case: cases.InvalidUpdate
) -> None:
    """Each row: refused (with the status its rule names), an Error body, no new feed entry.

    The row departs in one respect from an update the target accepts (sent first), so only
    the fault under test explains the refusal.
    """
    values = scene.values()
    valid_counterpart_accepted(dropship, scene, case.operation, case.valid)
    before = fed_updates(dropship, scene.watched())
    reply = put(dropship, case.operation, fill(case.uri_id, values), fill(case.template, values))
    errors.no_server_error(expect, reply)
    judge_refusal(expect, reply, case.operation, (case.rule,), case.status)
    if case.exact is not None and errors.is_client_error(reply):
        exact = cases.EXACT_STATUSES[case.exact]
        errors.status_is.under(case.exact)(expect, reply, exact, case.operation)
    judge_nothing_recorded(expect, case.rule, dropship, scene.watched(), before)


@pytest.mark.parametrize(
    ("operation", "rule"),
    [
        pytest.param(
            operation,
            rule,
            id=operation.removeprefix("put"),
            marks=requirements(rule, ids.HTTP_001, ids.HTTP_003),
        )
        for operation, rule in (
            ("putOrderStatusUpdate", ids.DS_UPD_004),
            ("putItemStatusUpdate", ids.DS_ITEM_003),
        )
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
    body = {**fill(cases.VALID_BODIES[operation], values), "Id": fill(body_id, values)}
    valid_counterpart_accepted(dropship, scene, operation)
    watched = scene.watched()
    before = fed_statuses(dropship, watched)
    reply = put(dropship, operation, scene.order.order_id, body)
    errors.refused_or_accepted.under(rule)(expect, reply, "as an update of the URI's order")
    if errors.is_client_error(reply):
        judge_refusal(expect, reply, operation, (rule,), None)
        judge_nothing_recorded(expect, rule, dropship, watched, before)
        return
    uri_order = values["ID"].lower()
    fresh = fresh_entries(
        dropship,
        target,
        watched,
        before,
        holds=lambda found: any(order_id == uri_order for order_id, _ in found.values()),
    )
    errors.recorded_for_the_uri_order.under(rule)(expect, fresh, uri_order, body["Id"])


@requirements(ids.DS_STAT_003, ids.DS_STAT_005, ids.HTTP_001, ids.HTTP_003)
@pytest.mark.parametrize("value", [*cases.UNKNOWN_STATUSES, cases.NUMERIC_STRING_STATUS], ids=repr)
@pytest.mark.parametrize("operation", cases.UPDATES)
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
    body = fill(cases.VALID_BODIES[operation], scene.values())
    if operation == "putOrderStatusUpdate":
        body = {**body, "Status": value}
    else:
        body = {**body, "ItemInformation": [{**body["ItemInformation"][0], "Status": value}]}
    valid_counterpart_accepted(dropship, scene, operation)
    watched = {scene.order.order_id}
    before = fed_statuses(dropship, watched)
    reply = put(dropship, operation, scene.order.order_id, body)
    accepted_as = f"with Status {value!r} and recorded as a documented status"
    errors.refused_or_accepted.under(ids.DS_STAT_003)(expect, reply, accepted_as)
    if value in cases.UNKNOWN_STATUSES:
        errors.status_is.under(ids.DS_STAT_005)(expect, reply, 400, operation)
    if errors.is_client_error(reply):
        judge_refusal(expect, reply, operation, (ids.DS_STAT_003,), None)
        judge_nothing_recorded(expect, ids.DS_STAT_003, dropship, watched, before)
        return
    fresh = fresh_entries(dropship, target, watched, before)
    errors.only_documented_statuses_fed(expect, fresh, value)


@requirements(ids.DS_ERR_006, ids.HTTP_005, ids.HTTP_001, ids.HTTP_003)
@pytest.mark.parametrize(("uri_id", "content"), cases.MALFORMED.values(), ids=cases.MALFORMED)
@pytest.mark.parametrize("operation", cases.UPDATES)
def test_malformed_update_gets_400(
    dropship: DropshipClient,
    scene: Scene,
    expect: Expect,
    operation: str,
    uri_id: str,
    content: bytes,
) -> None:
    reply = put(dropship, operation, fill(uri_id, scene.values()), raw=content)
    errors.no_server_error(expect, reply)
    judge_refusal(expect, reply, operation, (ids.DS_ERR_006,), 400)


# ---------------------------------------------------------------- supplier isolation


@requirements(ids.AUTH_002, ids.HTTP_001, ids.HTTP_003)
@pytest.mark.parametrize("operation", ["getNotifications", "getNotificationsPage"])
def test_other_suppliers_feed_is_refused(
    dropship: DropshipClient, target: Target, scene: Scene, expect: Expect, operation: str
) -> None:
    """This supplier's token on the other supplier's feed (and, by id, on this feed's page)."""
    reply = call(dropship, operation, scene, supplier_id=target.settings.other_supplier_id)
    judge_refusal(expect, reply, operation, (ids.AUTH_002,), None)


@pytest.fixture(scope="module")
def their_order(testdata: TestData) -> tuple[str, str, str]:
    """An order of the other supplier, one of its SKUs, and that supplier's token."""
    order = testdata.new_order(other_supplier=True)
    return order.order_id, order.skus[0], testdata.feed_options(True)["token"]


@requirements(ids.AUTH_002, ids.DS_ERR_002, ids.HTTP_001, ids.HTTP_003)
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
        raise SetupImpossible(
            f"cannot read supplier {other}'s feed with its token: {describe(theirs)}"
        )
    page_id = page_of(theirs)
    if page_id is None:
        raise SetupImpossible(f"supplier {other}'s feed names no page in its self link")
    supplier = dropship.supplier_id if path_supplier == "mine" else other
    reply = dropship.page(page_id, supplier_id=supplier)
    judge_refusal(expect, reply, "getNotificationsPage", (ids.AUTH_002,), None)
    if path_supplier == "mine":
        # 001 §ERRORS: a PageId naming no page of this supplier is an incorrect PageId.
        judge_refusal(expect, reply, "getNotificationsPage", (ids.DS_ERR_002,), 400, cases.BAD_PAGE)


@requirements(ids.AUTH_003, ids.HTTP_001, ids.HTTP_003)
@pytest.mark.parametrize("operation", cases.UPDATES)
def test_update_under_another_supplier_id(
    dropship: DropshipClient, target: Target, scene: Scene, expect: Expect, operation: str
) -> None:
    """This supplier's own order, addressed under the other SupplierId with this token."""
    watched = {scene.order.order_id}
    before = fed_updates(dropship, watched)
    reply = call(dropship, operation, scene, supplier_id=target.settings.other_supplier_id)
    judge_refusal(expect, reply, operation, (ids.AUTH_003,), None)
    judge_nothing_recorded(expect, ids.AUTH_003, dropship, watched, before)


@requirements(ids.AUTH_003, ids.HTTP_001, ids.HTTP_003)
@pytest.mark.parametrize("path_supplier", ["mine", "theirs"])
@pytest.mark.parametrize("operation", cases.UPDATES)
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
    body = fill(cases.VALID_BODIES[operation], {"ID": order_id, "SKU": sku})
    watched = {order_id}
    theirs_before = fed_updates(dropship, watched, supplier_id=other, token=token)
    mine_before = fed_updates(dropship, watched)
    reply = put(dropship, operation, order_id, body, supplier_id=supplier)
    judge_refusal(expect, reply, operation, (ids.AUTH_003,), None)
    judge_nothing_recorded(
        expect, ids.AUTH_003, dropship, watched, theirs_before, supplier_id=other, token=token
    )
    judge_nothing_recorded(expect, ids.AUTH_003, dropship, watched, mine_before)
