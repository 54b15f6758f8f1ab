"""The sibling matrix and the feed's boundaries: the table is sound, every kind of cell fails
against a sandbox that breaks its rule on one sibling only, and the whole matrix passes against
the sandbox and its lenient profile; the current document's 49/50/51 boundary fails against a
sandbox whose pages hold 51.

Each broken sandbox is the real one behind a small ASGI wrap that forgets one rule on one
endpoint (or in one state); the harness runs in another process, as a user runs it, on the
cells of that endpoint, and must fail the rule's requirement there.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pytest

from dropship_conformance import openapi
from dropship_conformance.catalogue import requirement
from dropship_conformance.faults.kill import RUN_TIMEOUT, harness_command
from dropship_conformance.faults.proxy import (
    Call,
    FaultInjector,
    HttpRequest,
    HttpResponse,
    Rewrite,
)
from dropship_conformance.harness import siblings
from dropship_conformance.harness.run import suites_dir
from dropship_conformance.sandbox.profile import Profile
from dropship_conformance.sandbox.server import serve_in_thread

COMPANY, OTHER_COMPANY = 14146, 33772  # the sandbox's seeded companies
SUPPLIER, OTHER_SUPPLIER = 60455, 14107  # and suppliers
OTHER_TOKEN = "sandbox-other-token"
Wrap = Callable[[object], object]


# ---------------------------------------------------------------- the table


def test_every_row_names_a_known_rule_and_operation() -> None:
    for row in siblings.ROWS:
        requirement(row.rule)
        for operation in row.operations:
            assert operation in siblings.OPERATIONS, operation
            openapi.operation(operation)
        assert set(row.tenants) <= set(siblings.TENANTS), row
        assert set(row.states) <= {*siblings.STATES, siblings.NONE}, row
    for rule in siblings.EFFECT_RULES.values():
        requirement(rule)


def test_cells_are_unique_and_never_both_accepted_and_refused() -> None:
    cells = siblings.cells()
    assert len({c.id for c in cells}) == len(cells)
    assert all(c.rows for c in cells)
    with pytest.raises(ValueError, match="both accepted and refused"):
        siblings.cells(
            (
                siblings.Row(("getOrder",), ("own",), ("Created",), siblings.SUCCESS, "R"),
                siblings.Row(("getOrder",), ("own",), ("Created",), siblings.CONFLICT, "S"),
            )
        )


def test_every_operation_is_in_the_matrix() -> None:
    covered = {c.operation for c in siblings.cells()}
    assert covered == set(siblings.OPERATIONS)


def test_the_quick_depth_keeps_every_operation_with_every_tenant() -> None:
    cells = siblings.cells()
    quick = [c for c in cells if siblings.quick(c)]
    assert len(quick) < len(cells)
    assert {(c.operation, c.tenant) for c in quick} == {(c.operation, c.tenant) for c in cells}
    assert all(siblings.quick(c) for c in cells if c.tenant in (siblings.OWN, siblings.UNKNOWN))


# ---------------------------------------------------------------- running the suite


def run_cells(
    wrap: Wrap | None,
    keyword: str | None,
    profile: Profile | None = None,
    suite: str = "test_siblings.py",
) -> dict[str, frozenset[str]]:
    """The requirements each test of ``suite`` fails against the (wrapped) sandbox."""
    with tempfile.TemporaryDirectory() as folder:
        junit = Path(folder) / "junit.xml"
        with serve_in_thread(":memory:", wrap=wrap, profile=profile) as root:
            command = harness_command(
                root, junit, *(["-k", keyword] if keyword else []), tests=suites_dir() / suite
            )
            subprocess.run(command, capture_output=True, timeout=RUN_TIMEOUT, check=False)
        assert junit.is_file(), "the run wrote no JUnit file"
        return failed_by_test(junit)


def failed_by_test(junit: Path) -> dict[str, frozenset[str]]:
    """Test name -> the requirements it reports as failed."""
    found = {}
    for case in ElementTree.parse(junit).iter("testcase"):
        values = [
            (prop.get("value") or "").partition(" ")
            for prop in case.iter("property")
            if prop.get("name") == "requirement"
        ]
        found[case.get("name") or ""] = frozenset(rid for rid, _, v in values if v == "failed")
    return found


def failed_anywhere(failed: dict[str, frozenset[str]]) -> frozenset[str]:
    return frozenset().union(*failed.values())


def injector(applies: Callable[[HttpRequest], bool], rewrite: Rewrite) -> Wrap:
    return lambda app: FaultInjector(app, applies, rewrite)


def route(method: str, pattern: str) -> Callable[[HttpRequest], bool]:
    compiled = re.compile(pattern)
    return lambda request: request.method == method and compiled.search(request.path) is not None


def to_company(company: int, token: str | None = None) -> Callable[[HttpRequest], HttpRequest]:
    """The bug: the company of the URI (and whose token it is) is not checked."""

    def rewrite(request: HttpRequest) -> HttpRequest:
        path = re.sub(r"/Companies\(\d+\)", f"/Companies({company})", request.path)
        moved = HttpRequest(request.method, path, request.query, request.headers, request.body)
        return moved.with_header("Authorization", f"Bearer {token}") if token else moved

    return rewrite


def refusal_becomes(status: int, refused: tuple[int, ...]) -> Rewrite:
    """The bug: the refusal is skipped in the answer (the order is left as it was)."""

    def response(_: HttpRequest, reply: HttpResponse) -> HttpResponse:
        return reply.with_json({}, status=status) if reply.status in refused else reply

    return Rewrite(response=response)


async def accepted_but_lost(request: HttpRequest, call: Call) -> HttpResponse:
    """The bug: the write is answered as done and never made."""
    return HttpResponse(201, (("content-type", "application/json"),), request.body)


async def any_company(request: HttpRequest, call: Call) -> HttpResponse:
    """The bug: a read finds the order in whichever company holds it."""
    reply = await call(request)
    if reply.status != 404:
        return reply
    return await call(to_company(OTHER_COMPANY, OTHER_TOKEN)(request))


def to_supplier(supplier: int, token: str | None = None) -> Callable[[HttpRequest], HttpRequest]:
    """The bug: the supplier of the URI (and whose token it is) is not checked."""

    def rewrite(request: HttpRequest) -> HttpRequest:
        path = re.sub(r"/Suppliers\(\d+\)", f"/Suppliers({supplier})", request.path)
        moved = HttpRequest(request.method, path, request.query, request.headers, request.body)
        return moved.with_header("Authorization", f"Bearer {token}") if token else moved

    return rewrite


async def any_supplier(request: HttpRequest, call: Call) -> HttpResponse:
    """The bug: an update finds the order in whichever supplier's feed holds it."""
    reply = await call(request)
    if reply.status < 400:
        return reply
    return await call(to_supplier(OTHER_SUPPLIER, OTHER_TOKEN)(request))


# kind of cell -> (the broken sibling, the cells to run, the requirement that must fail)
# (in one sandbox, the first outermost: each wrap's route meets only its own cells' requests)
BROKEN: dict[str, tuple[Wrap, str, str]] = {
    "accepted: POST Items answered 201 and lost": (
        injector(
            route("POST", rf"/Companies\({COMPANY}\)/Orders\([^)]+\)/Items$"),
            Rewrite(handle=accepted_but_lost),
        ),
        "addItem-own-Pending",
        "ORD-ITEM-007",
    ),
    "other-uri: POST Items under another company's URI reaches ours": (
        injector(
            route("POST", rf"/Companies\({OTHER_COMPANY}\)/Orders\([^)]*\)/Items$"),
            Rewrite(request=to_company(COMPANY)),
        ),
        "addItem-other-uri-Created",
        "AUTH-004",
    ),
    "other-order: GET OrderFull shows another company's order": (
        injector(route("GET", r"/OrderFull\([^)]+\)$"), Rewrite(handle=any_company)),
        "getOrderFull-other-order-Processed",
        "AUTH-004",
    ),
    "unknown: PUT OrderFull of an unknown id answers 200": (
        injector(route("PUT", r"/OrderFull\([^)]+\)$"), refusal_becomes(200, (404,))),
        "updateOrderFull-unknown",
        "ORD-ERR-005",
    ),
    "state: PUT OrderFull of a Processed order answers 200": (
        injector(route("PUT", r"/OrderFull\([^)]+\)$"), refusal_becomes(200, (409,))),
        "updateOrderFull-own-Processed",
        "ORD-FULL-005",
    ),
    "expired: PUT Order of an expired order answers 200": (
        injector(route("PUT", r"/Orders\([^)]+\)$"), refusal_becomes(200, (409,))),
        "updateOrder-own-Expired",
        "ORD-EXP-001",
    ),
    "supplier uri: ItemStatusUpdate under another SupplierId reaches ours": (
        injector(
            route("PUT", rf"/Suppliers\({OTHER_SUPPLIER}\)/Orders\([^)]*\)/ItemStatusUpdate$"),
            Rewrite(request=to_supplier(SUPPLIER)),
        ),
        "putItemStatusUpdate-other-uri",
        "AUTH-003",
    ),
    "supplier order: ItemStatusUpdate of another supplier's order is recorded in its feed": (
        injector(
            route("PUT", rf"/Suppliers\({SUPPLIER}\)/Orders\([^)]*\)/ItemStatusUpdate$"),
            Rewrite(handle=any_supplier),
        ),
        "putItemStatusUpdate-other-order",
        "AUTH-003",
    ),
    "feed read: a page under another SupplierId serves ours": (
        injector(
            route("GET", rf"/Suppliers\({OTHER_SUPPLIER}\)/Notifications/Pages"),
            Rewrite(request=to_supplier(SUPPLIER)),
        ),
        "getNotificationsPage-other-uri",
        "AUTH-002",
    ),
    "supplier unknown: OrderStatusUpdate of an unknown order answers 200": (
        injector(
            route("PUT", r"/OrderStatusUpdate$"), refusal_becomes(200, tuple(range(400, 500)))
        ),
        "putOrderStatusUpdate-unknown",
        "DS-ERR-005",
    ),
}


def all_broken(app: object) -> object:
    for wrap, _, _ in reversed(BROKEN.values()):
        app = wrap(app)
    return app


@pytest.mark.slow
def test_each_kind_of_cell_fails_on_its_broken_sibling() -> None:
    """One sandbox with every broken sibling, each cell run on it: every cell fails its rule.
    The same cells pass on the sandbox (test_whole_matrix_passes_on_the_sandbox), so each
    failure is its wrap's, not the suite's."""
    failed = run_cells(all_broken, " or ".join(cell for _, cell, _ in BROKEN.values()))
    missed = [
        f"{kind}: {rule} did not fail in {cell}"
        for kind, (_, cell, rule) in BROKEN.items()
        if not any(cell in name and rule in rules for name, rules in failed.items())
    ]
    assert not missed, missed


@pytest.mark.slow
@pytest.mark.parametrize("profile", [None, Profile.lenient()], ids=["default", "lenient"])
def test_whole_matrix_passes_on_the_sandbox(profile: Profile | None) -> None:
    assert failed_anywhere(run_cells(None, None, profile)) == frozenset()


@dataclass(frozen=True)
class PagesOf51(Profile):
    """The bug: a page is archived at its 52nd event, so the current document holds 51."""

    @property
    def archive_page_size(self) -> int:
        return 51


@pytest.mark.slow
def test_current_document_boundary_fails_on_pages_of_51() -> None:
    failed = run_cells(None, "49_50_and_51", PagesOf51(), "test_archive.py")
    assert "DS-ARCH-008" in failed_anywhere(failed)
    assert failed_anywhere(run_cells(None, "49_50_and_51", None, "test_archive.py")) == set()
