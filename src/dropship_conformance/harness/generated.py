"""Scenario suites over generated order shapes: bounded, derandomized, shrunk and replayable.

The fixed-shape tests of the full-shipment, partial-shipment, cancellation and archive suites
see one or two items of one supplier; a server may fail only for several suppliers, many items,
quantities above 1 or several SKUs in one update. :func:`over_shapes` runs one scenario over
shapes drawn by hypothesis (:mod:`dropship_conformance.harness.shapes`): first the richest
shape (every supplier, several items each, quantities above 1, several tracking numbers), then
``--examples`` generated ones from ``--seed``, so a run is repeatable. Every example makes its
own orders through the APIs, so unlike the linked machine's sequences an example can be run
again: a failure is shrunk to the smallest shape that still fails, within a bounded number of
runs, and its verdict carries the request sequence a person can replay.

Hypothesis drives the search; what it cannot do is judge by requirement and keep a live target
from being asked twice for the same shape, hence the bookkeeping here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, find, given, seed, settings
from hypothesis import strategies as st

from dropship_conformance.checks.primitives import describe
from dropship_conformance.client import DropshipClient
from dropship_conformance.client.exchange import Exchange
from dropship_conformance.errors import SetupImpossible
from dropship_conformance.harness import shapes
from dropship_conformance.harness.target import Target
from dropship_conformance.harness.testdata import DropshipOrder, TestData
from dropship_conformance.verdicts import Check, Expect, RequirementFailed, Verdict

S = TypeVar("S", bound=Hashable)

# Runs the shrinker may spend on a failure, each making orders and updates on the target: a
# quick run shows a smaller failing shape, a deep one the smallest hypothesis can reach.
SHRINK_RUNS = {"quick": 12, "deep": 150}
# The replay shows a request body up to this many characters.
SHOWN_BODY = 2000


def suppliers(target: Target) -> list[int]:
    """The suppliers a shape may draw from: those whose feed the harness can read."""
    config = target.settings
    readable = [config.supplier_id]
    if config.other_token is not None:
        readable.append(config.other_supplier_id)
    return readable


@dataclass(frozen=True)
class ShapedOrder:
    """An Orders API order of a generated shape, processed, and each supplier's dropship order."""

    order_id: str
    items: tuple[shapes.ItemShape, ...]
    dropship: dict[int, DropshipOrder]
    clients: dict[int, DropshipClient] = field(repr=False)


def _feed_item(item: shapes.ItemShape) -> dict[str, Any]:
    """A sent item as ``DropshipOrder.sent_items`` holds it (the order-item's words)."""
    return {
        "sku": item.sku,
        "quantity": item.quantity,
        "selling-price": None if item.price is None else str(item.price),
        "description": item.description,
    }


def shaped_order(testdata: TestData, shape: shapes.OrderShape) -> ShapedOrder:
    """Make ``shape`` through the Orders API (create, POST Items, Process) and find the
    order-created each of its suppliers' feeds shows; SKUs get a fresh prefix so that no two
    examples share one."""
    target = testdata.target
    config, orders = target.settings, target.orders
    body = {
        "EntityId": config.location_id,
        "OrderTypeId": 3,
        "BillingCustomerId": config.billing_customer_id,
        "ShippingCustomerId": config.billing_customer_id,
        **({"Name": shape.name} if shape.name else {}),
    }
    order, items = created_order(target, body, shape.items)
    clients = {
        supplier: target.dropship.as_supplier(supplier, _feed(testdata, supplier).get("token"))
        for supplier in sorted(shape.suppliers)
    }
    before = {s: testdata.entry_ids(**_feed(testdata, s)) for s in clients}
    processed = orders.process_order(order["Id"])
    if processed.status != 201:
        raise SetupImpossible(f"the Orders API did not process the order: {describe(processed)}")
    printable = str(order.get("PrintableId"))

    def made_from_it(value: dict[str, Any]) -> bool:
        return (value.get("seller") or {}).get("printable-id") == printable

    dropship = {}
    for supplier in clients:
        created_entry = testdata.find_created(
            made_from_it,
            wait=config.event_wait,
            before=before[supplier],
            **_feed(testdata, supplier),
        )
        sent = [_feed_item(i) for i in items if i.dropship and i.supplier == supplier]
        dropship[supplier] = DropshipOrder(
            str(created_entry.get("order-id")), created_entry, sent, linked_order_id=order["Id"]
        )
    return ShapedOrder(order["Id"], items, dropship, clients)


def created_order(
    target: Target, body: dict[str, Any], items: tuple[shapes.ItemShape, ...]
) -> tuple[dict[str, Any], tuple[shapes.ItemShape, ...]]:
    """An Orders API order made of ``body`` and ``items`` (POST Order, POST Items), not
    processed, and its items as added: their SKUs get a fresh prefix, so that no two examples
    share one."""
    tag = uuid.uuid4().hex[:6].upper()
    items = tuple(replace(item, sku=f"G{tag}-{item.sku}") for item in items)
    created = target.orders.create_order(body)
    if created.status != 201:
        raise SetupImpossible(f"cannot create an order through the Orders API: {describe(created)}")
    order: dict[str, Any] = created.json()
    for item in items:
        added = target.orders.add_item(order["Id"], item.body())
        if added.status != 201:
            raise SetupImpossible(f"cannot add item {item.sku}: {describe(added)}")
    return order, items


def _feed(testdata: TestData, supplier: int) -> dict[str, Any]:
    return testdata.feed_options(supplier != testdata.target.settings.supplier_id)


def replay_line(exchange: Exchange) -> str:
    """One request as a person would send it again (the recorder removed every secret)."""
    body = exchange.request_body
    if len(body) > SHOWN_BODY:
        body = f"{body[:SHOWN_BODY]}..."
    status = exchange.status if exchange.status is not None else exchange.error
    return f"{exchange.method} {exchange.url}{f' {body}' if body else ''} -> {status}"


@dataclass
class Example:
    """One generated shape, run once: its verdicts, its requests, how it ended."""

    shape: Any
    expect: Expect
    replay: list[str]
    error: BaseException | None = None
    not_built: str | None = None


@dataclass
class ShapeRun:
    """The examples of one scenario, in the order they ran."""

    name: str
    examples: list[Example] = field(default_factory=list)
    by_shape: dict[Any, Example] = field(default_factory=dict)
    shown: Example | None = None

    @property
    def failing(self) -> list[Example]:
        return [e for e in self.examples if e.error is not None]


def shape_settings(target: Target) -> settings:
    return settings(
        max_examples=target.settings.generated_examples,
        deadline=None,
        database=None,
        report_multiple_bugs=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        print_blob=False,
    )


def richest(shapes_of: Callable[[bool], st.SearchStrategy[S]]) -> S:
    """The simplest draw of the rich-first strategy (:func:`shapes.count`): its richest shape.

    Hypothesis's first draw is its simplest; shrinking it would only try to confirm that, at a
    cost of seconds for strategies of many flatmaps."""
    quick = settings(database=None, max_examples=1, phases=[Phase.generate])
    return find(shapes_of(True), lambda _: True, settings=quick)


def over_shapes(
    target: Target,
    expect: Expect,
    name: str,
    shapes_of: Callable[[bool], st.SearchStrategy[S]],
    scenario: Callable[[Expect, S], None],
) -> None:
    """Run ``scenario(expect, shape)`` over the richest shape and generated ones, and carry the
    verdicts into ``expect``: the passes of every example, and the failures of the smallest
    failing shape with the requests that show them. A MUST failed in any example fails the test.

    ``shapes_of(rich_first)`` is the scenario's strategy (see :func:`shapes.count`): generated
    in the natural order, so that hypothesis shrinks a failure towards a small shape."""
    config = target.settings
    run = ShapeRun(name)
    budget = SHRINK_RUNS[config.depth]
    recorder = target.recorder

    def once(shape: S) -> Example:
        own = Expect(claims=expect.claims)
        start = len(recorder.exchanges)
        example = Example(shape, own, [])
        try:
            scenario(own, shape)
        except SetupImpossible as reason:
            example.not_built = str(reason)
        except Exception as error:  # any failure is the example's, and shrunk
            example.error = error
        example.replay = [replay_line(x) for x in recorder.exchanges[start:]]
        run.examples.append(example)
        run.by_shape[shape] = example
        return example

    print(f"{name}: seed {config.seed}, the richest shape and {config.examples} generated")
    first = once(richest(shapes_of))
    # When the richest shape fails, the search goes on for up to ``budget`` more shapes to
    # find a smaller one that fails; every failure the search finds is shrunk within it.
    limit = shape_settings(target).max_examples + (budget if first.error is not None else 0)

    @seed(config.seed)
    @settings(shape_settings(target), max_examples=limit)
    @given(shapes_of(False))
    def search(shape: S) -> None:
        example = run.by_shape.get(shape)
        if example is None:
            since = [e for e in run.examples[1:] if e.error is not None][:1]
            spent = len(run.examples) - 1 - (run.examples.index(since[0]) if since else 0)
            if spent >= (budget if since else limit):
                return  # over the budget: an untried shape is neither run nor judged
            example = once(shape)
        if example.error is not None:
            run.shown = example
            raise example.error

    try:
        search()
    except Exception:  # carried below, with the smallest failing shape
        if run.shown is None:
            raise
    if run.shown is None and first.error is not None:
        run.shown = first  # no generated shape failed: the richest is the smallest known
    carry(run, expect)


def carry(run: ShapeRun, expect: Expect) -> None:
    """Every example's passes and warnings into ``expect``; the failures of the shape shown."""
    built = [e for e in run.examples if e.not_built is None]
    print(
        f"{run.name}: {len(run.examples)} shapes run, {len(built)} built, "
        f"{sum(len(e.replay) for e in run.examples)} requests"
    )
    if not built:
        reasons = sorted({e.not_built or "" for e in run.examples})
        raise SetupImpossible(f"no generated shape could be built: {'; '.join(reasons)}")
    seen: set[tuple[str, Verdict, str]] = set()
    for example in built:
        for check in example.expect.checks:
            if check.verdict is Verdict.FAILED:
                continue
            key = (check.requirement_id, check.verdict, check.message)
            if key not in seen:
                seen.add(key)
                expect.checks.append(check)
    shown = run.shown
    if shown is None:
        return
    told: set[str] = set()
    # The shown shape first; then any other failing shape that failed another requirement
    # (hypothesis shrinks one failure; the others must not be lost).
    for example in [shown, *(e for e in run.failing if e is not shown)]:
        failed = [c for c in example.expect.checks if c.verdict is Verdict.FAILED]
        if example is not shown and {c.requirement_id for c in failed} <= told:
            continue
        told |= {c.requirement_id for c in failed}
        where = _where(run, example)
        expect.checks.extend(Check(c.requirement_id, c.verdict, c.message + where) for c in failed)
    error = shown.error
    if isinstance(error, RequirementFailed):
        raise RequirementFailed(error.requirement_id, f"{error}{_where(run, shown)}") from None
    assert error is not None
    raise error


def _where(run: ShapeRun, example: Example) -> str:
    """Which shape failed, and the requests that showed it, numbered as sent."""
    steps = "\n".join(f"  {n}. {line}" for n, line in enumerate(example.replay, 1))
    richest = example is run.examples[0]
    if example is not run.shown:
        which = f"{'the richest' if richest else 'another'} failing shape, on other requirements"
    elif richest:
        which = "the richest shape (no generated one failed, so none smaller is known)"
    else:
        which = "the smallest failing shape found"
    return (
        f"\n{len(run.failing)} of {len(run.examples)} shapes failed; {which}: "
        f"{example.shape!r}\nrequests, in order:\n{steps}"
    )
