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

from reference_client import Entry, SupplierClient, main


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


FLAWS: dict[str, type[SupplierClient]] = {
    "current-page-only": CurrentPageOnly,
    "overwrites-tracking": OverwritesTracking,
    "no-carrier": NoCarrier,
    "numeric-tracking": NumericTracking,
    "unknown-status": UnknownStatus,
    "double-processes": DoubleProcesses,
    "rewalks-archives": RewalksArchives,
    "storms": Storms,
}

if __name__ == "__main__":
    sys.exit(main(FLAWS[sys.argv[1]]))
