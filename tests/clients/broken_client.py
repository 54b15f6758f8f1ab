"""Broken supplier clients: the reference client with one flaw each, chosen by name.

``python tests/clients/broken_client.py FLAW`` runs the reference client (examples/) with the
flaw; tests/test_verify_client.py expects verify-client to fail each with the requirement id
the flaw breaks, or to warn for the SHOULD ones (FLAWS maps the names to the classes).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))

import json
from datetime import datetime

from reference_client import Entry, SupplierClient, main, parse_feed
from variant_client import complete_last


class CurrentPageOnly(SupplierClient):
    """Reads the current document and never follows prev-archive (misses the backlog)."""

    follows_archives = False


class OverwritesTracking(SupplierClient):
    """Sends only the new tracking number, dropping the ones the item already has."""

    def tracking_of(self, order_id: str, sku: str) -> list[str]:
        return []


class NoCarrier(SupplierClient):
    """Ships without naming the carrier (ShippingProvider)."""

    def prepare(self, body: dict[str, Any]) -> dict[str, Any]:
        for fields in body.get("ItemInformation", [body]):
            fields.pop("ShippingProvider", None)
        return body


class NumericTracking(SupplierClient):
    """Sends tracking numbers as JSON numbers, as the 000/002 examples do."""

    def prepare(self, body: dict[str, Any]) -> dict[str, Any]:
        for fields in body.get("ItemInformation", [body]):
            if str(fields.get("TrackingInfo") or "").isdigit():
                fields["TrackingInfo"] = int(fields["TrackingInfo"])
        return body


class UnknownStatus(SupplierClient):
    """Reports items it cannot fulfil as "Exception", the status of the 001 examples."""

    def prepare(self, body: dict[str, Any]) -> dict[str, Any]:
        for fields in body.get("ItemInformation", [body]):
            if fields.get("Status") == "Cancelled":
                fields["Status"] = "Exception"
        return body


class DoubleProcesses(SupplierClient):
    """Keeps no state: re-reads the whole feed and handles every order again on each poll."""

    def already_read(self, entry: Entry) -> bool:
        return False

    def handle_created(self, entry: Entry) -> None:
        self.state.orders.pop(entry.order_id, None)
        super().handle_created(entry)


class RewalksArchives(SupplierClient):
    """Keeps no marker: walks the whole feed, archives included, on every poll (it still
    acts on each order once)."""

    def already_read(self, entry: Entry) -> bool:
        return False


class Storms(SupplierClient):
    """Polls in a tight loop, without pausing between polls."""

    def run(self, poll_seconds: float, max_seconds: float) -> None:
        super().run(0.0, max_seconds)


class BackOrders(SupplierClient):
    """Marks what it cannot fulfil BackOrdered (temporarily out of stock), never Cancelled."""

    def prepare(self, body: dict[str, Any]) -> dict[str, Any]:
        for fields in body.get("ItemInformation", [body]):
            if fields.get("Status") == "Cancelled":
                fields["Status"] = "BackOrdered"
        return body


class ShipsCancelled(SupplierClient):
    """Ships the items the warehouse plan cancels, as if they were in stock."""

    def steps(self, items: dict[str, int]) -> list[tuple[str, dict[str, Any]]]:
        skus = self.warehouse.get("skus", {})
        for sku in items:
            if "cancel" in (skus.get(sku) or {}):
                skus[sku] = {"shipments": [{"quantity": items[sku], "tracking": f"1ZX{sku}"}]}
        return super().steps(items)


class AtOrBeforeMarker(SupplierClient):
    """Keeps only a timestamp marker and takes every entry at or before it as read (<=): it
    drops the entries published later in the same second."""

    def already_read(self, entry: Entry) -> bool:
        marker = self.state.marker
        return marker is not None and entry.updated <= datetime.fromisoformat(marker)


class BeforeMarker(SupplierClient):
    """Keeps only a timestamp marker and takes the entries before it as read (<): the entries
    of the marker's own second look new again, so it walks back through the archives."""

    def already_read(self, entry: Entry) -> bool:
        marker = self.state.marker
        return marker is not None and entry.updated < datetime.fromisoformat(marker)


class DropsOldestArchive(SupplierClient):
    """Walks prev-archive to the oldest page, fetches it, and drops its entries."""

    def new_entries(self) -> list[Entry]:
        fresh: list[Entry] = []
        url: str | None = self.feed_url
        while url:
            reply = self.http.get(url, headers={"Accept": "application/atom+xml"})
            reply.raise_for_status()
            entries, prev = parse_feed(reply.content)
            if prev is None and url != self.feed_url:
                break
            for entry in entries:
                if self.already_read(entry):
                    return fresh[::-1]
                fresh.append(entry)
            url = prev
        return fresh[::-1]


class WrongAuthScheme(SupplierClient):
    """Sends the token under the scheme "Token" instead of "Bearer"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        token = self.http.headers["Authorization"].removeprefix("Bearer ")
        self.http.headers["Authorization"] = f"Token {token}"


class NoHold(SupplierClient):
    """Takes an item awaiting restock as in stock: the order is picked up and never held."""

    def steps(self, items: dict[str, int]) -> list[tuple[str, dict[str, Any]]]:
        skus = self.warehouse.get("skus", {})
        for sku in items:
            if "backorder" in (skus.get(sku) or {}):
                skus.pop(sku)
        return super().steps(items)


class ShipsInPart(SupplierClient):
    """Ships the in-stock items of an order that waits for one, back-ordering only that one."""

    def steps(self, items: dict[str, int]) -> list[tuple[str, dict[str, Any]]]:
        skus = self.warehouse.get("skus", {})
        if not any("backorder" in (skus.get(sku) or {}) for sku in items):
            return super().steps(items)
        infos = [
            {"Sku": sku, "Status": "BackOrdered", "Message": skus[sku]["backorder"]}
            if "backorder" in (skus.get(sku) or {})
            else {
                "Sku": sku,
                "Status": "Shipped",
                "Quantity": quantity,
                "TrackingInfo": f"1ZP{sku}",
                "ShippingProvider": self.warehouse.get("carrier"),
            }
            for sku, quantity in items.items()
        ]
        return [
            ("OrderStatusUpdate", {"Status": "Ordered"}),
            ("ItemStatusUpdate", {"ItemInformation": infos}),
        ]


class AllTrackingAtOnce(SupplierClient):
    """Sends every tracking number an item will have with its first shipment."""

    def prepare(self, body: dict[str, Any]) -> dict[str, Any]:
        for fields in body.get("ItemInformation", []):
            plan = self.warehouse.get("skus", {}).get(fields.get("Sku")) or {}
            numbers = [s["tracking"] for s in plan.get("shipments", [])]
            if fields.get("Status") == "PartiallyShipped" and len(numbers) > 1:
                fields["TrackingInfo"] = ",".join(numbers)
        return body


class ForeignSku(SupplierClient):
    """Addresses item updates to the SKU of the first order it picked up, whatever the order."""

    def prepare(self, body: dict[str, Any]) -> dict[str, Any]:
        first = next(iter(self.state.orders.values()))["items"]
        for fields in body.get("ItemInformation", []):
            if body["Id"] != next(iter(self.state.orders)):
                fields["Sku"] = next(iter(first))
        return body


class CompleteDropsTracking(SupplierClient):
    """Partial shipments, then the last one as a complete order (002 §Partial Shipments
    followed by a Complete Order) carrying only the new tracking number."""

    def steps(self, items: dict[str, int]) -> list[tuple[str, dict[str, Any]]]:
        return complete_last(super().steps(items))

    def with_existing_tracking(self, order_id: str, body: dict[str, Any]) -> dict[str, Any]:
        if "ItemInformation" not in body:
            return json.loads(json.dumps(body))
        return super().with_existing_tracking(order_id, body)


FLAWS: dict[str, type[SupplierClient]] = {
    "current-page-only": CurrentPageOnly,
    "overwrites-tracking": OverwritesTracking,
    "no-carrier": NoCarrier,
    "numeric-tracking": NumericTracking,
    "unknown-status": UnknownStatus,
    "double-processes": DoubleProcesses,
    "rewalks-archives": RewalksArchives,
    "storms": Storms,
    "back-orders": BackOrders,
    "ships-cancelled": ShipsCancelled,
    "at-or-before-marker": AtOrBeforeMarker,
    "before-marker": BeforeMarker,
    "drops-oldest-archive": DropsOldestArchive,
    "wrong-auth-scheme": WrongAuthScheme,
    "no-hold": NoHold,
    "ships-in-part": ShipsInPart,
    "all-tracking-at-once": AllTrackingAtOnce,
    "foreign-sku": ForeignSku,
    "complete-drops-tracking": CompleteDropsTracking,
}

if __name__ == "__main__":
    sys.exit(main(FLAWS[sys.argv[1]]))
