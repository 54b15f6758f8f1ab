"""The model of the linked system, the generated shapes, and the linked suite's self-check.

The suite must see a server that leaks one supplier's DropShip items into another supplier's
order-created (the sandbox's ``process-first-supplier-takes-all`` bug), and must find nothing
wrong with the correct sandbox nor with its lenient profile.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dropship_conformance.faults.kill import requirement_verdicts, run_harness
from dropship_conformance.harness import shapes
from dropship_conformance.model import Item, LinkedSystem, Refused
from dropship_conformance.sandbox.profile import Profile
from dropship_conformance.sandbox.server import serve_in_thread

A, B = 60455, 14107


def _system() -> LinkedSystem:
    system = LinkedSystem()
    system.create(
        "o1",
        14146,
        [
            Item("A-1", 1, A, 2),
            Item("B-1", 1, B, 3),
            Item("A-2", 1, A, 1),
            Item("X-1", 2, None, 1),
        ],
    )
    return system


def test_process_gives_each_supplier_its_own_dropship_items() -> None:
    system = _system()
    created = system.process("o1")
    assert {s: [i.sku for i in items] for s, items in created.items()} == {
        A: ["A-1", "A-2"],
        B: ["B-1"],
    }
    assert system.events(A, "o1", "order-created") == 1
    assert system.events(B, "o1", "order-created") == 1
    assert system.orders["o1"].state == "Processed"


def test_no_event_before_process_nor_for_a_supplier_without_items() -> None:
    system = _system()
    assert system.events(A, "o1", "order-created") == 0
    system.process("o1")
    assert system.events(999, "o1", "order-created") == 0
    assert system.suppliers_without_event("o1", [A, B, 999]) == [999]


def test_changes_after_process_or_expiry_are_refused() -> None:
    system = _system()
    system.update("o1", "Pending")
    system.process("o1")
    with pytest.raises(Refused):
        system.add_item("o1", Item("A-3", 1, A, 1))
    with pytest.raises(Refused):
        system.process("o1")
    system.create("o2", 14146, expiry_hours=1)
    system.advance(1.5)
    with pytest.raises(Refused):
        system.update("o2", None)
    with pytest.raises(Refused):
        system.create("o3", 14146, expiry_hours=0) and system.process("o3")


def test_only_documented_manual_transitions() -> None:
    system = _system()
    with pytest.raises(Refused):
        system.update("o1", "Cancelled")
    with pytest.raises(Refused):
        system.update("o1", "Processed")


def test_updates_show_on_the_items_of_the_same_sku_of_that_supplier_only() -> None:
    system = _system()
    system.process("o1")
    touched = system.status_update("o1", A, [("A-2", "Shipped", ("1Z1", "1Z2"))])
    assert [i.sku for i in touched] == ["A-2"]
    items = system.orders["o1"].items
    assert (items["A-2"].status_id, items["A-2"].tracking) == (7, ["1Z1", "1Z2"])
    assert items["A-1"].status_id is None  # Process's item status is undocumented
    system.status_update("o1", A, [("A-2", "Shipped", ("1Z3",))])
    assert items["A-2"].tracking == ["1Z3"]  # DS-TRK-002: replaced, not appended
    system.status_update("o1", A, [("", "Cancelled", ())])
    assert [items[s].status_id for s in ("A-1", "A-2", "B-1")] == [2, 2, None]
    system.status_update("o1", A, [("A-1", "BackOrdered", ())])  # no DropShip status of that name
    assert items["A-1"].status_id == 2
    assert system.events(A, "o1", "order-status-updated") == 4
    assert system.events(B, "o1", "order-status-updated") == 0


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_generated_orders_stay_within_their_bounds(data: st.DataObject) -> None:
    order = data.draw(shapes.orders([A, B], "T"))
    assert 1 <= len(order.items) <= shapes.MAX_ITEMS
    assert any(i.dropship for i in order.items)
    assert len({i.sku for i in order.items}) == len(order.items)
    assert all(1 <= i.quantity <= shapes.MAX_QUANTITY for i in order.items)
    assert order.suppliers <= {A, B}
    skus = [i.sku for i in order.items]
    assert set(data.draw(shapes.updates([])).body("d")) == {"Id", "Status"}
    sent = data.draw(shapes.updates(skus)).body("d")["ItemInformation"]
    assert sent
    assert {line["Sku"] for line in sent} <= set(skus)
    assert all(line["TrackingInfo"] for line in sent)


def _linked_run(**sandbox: object) -> tuple[int, dict[str, set[str]]]:
    with tempfile.TemporaryDirectory() as folder, serve_in_thread(**sandbox) as root:  # type: ignore[arg-type]
        junit = Path(folder) / "junit.xml"
        code = run_harness(root, ("linked",), junit)
        return code, requirement_verdicts(junit)


@pytest.mark.slow
def test_linked_suite_passes_the_correct_sandbox() -> None:
    code, verdicts = _linked_run()
    assert code == 0, verdicts
    assert verdicts["LINK-003"] == {"passed"}
    assert verdicts["LINK-002"] == {"passed"}


@pytest.mark.slow
def test_linked_suite_passes_the_lenient_profile() -> None:
    code, verdicts = _linked_run(profile=Profile.lenient())
    assert code == 0, verdicts
    assert not any("failed" in found for found in verdicts.values()), verdicts


@pytest.mark.slow
def test_linked_suite_sees_one_suppliers_items_in_anothers_feed() -> None:
    code, verdicts = _linked_run(bugs={"process-first-supplier-takes-all"})
    # Inside the linked class LINK-003 is a MUST: the leak fails the run under it.
    assert code == 1, verdicts
    assert "failed" in verdicts["LINK-003"], verdicts
    assert "failed" in verdicts["LINK-001"], verdicts
