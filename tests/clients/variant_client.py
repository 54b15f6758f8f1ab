"""Correct-but-different supplier clients: the reference client with one legitimate variation
each, chosen by name. verify-client must pass them as it passes the reference client.

``python tests/clients/variant_client.py VARIANT`` runs one (VARIANTS maps names to classes).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))

from reference_client import SupplierClient, main

Step = tuple[str, dict[str, Any]]


def complete_last(steps: list[Step]) -> list[Step]:
    """002 §Partial Shipments followed by a Complete Order: after item-level partial shipments,
    the last shipment (one box: one tracking number) goes as one OrderStatusUpdate."""
    rounds = [body for operation, body in steps if operation == "ItemStatusUpdate"]
    if len(rounds) < 2:
        return steps
    last = rounds[-1]["ItemInformation"]
    numbers = {info.get("TrackingInfo") for info in last}
    if len(numbers) != 1 or any(info.get("Status") != "Shipped" for info in last):
        return steps
    shipped = {
        "Status": "Shipped",
        "TrackingInfo": numbers.pop(),
        "ShippingProvider": last[0].get("ShippingProvider"),
        "Info": last[0].get("Info"),
    }
    return [*steps[:-1], ("OrderStatusUpdate", shipped)]


class PartialThenComplete(SupplierClient):
    """Ships split orders item by item, then the last shipment as a complete order (keeping
    every earlier tracking number, as the reference client does)."""

    def steps(self, items: dict[str, int]) -> list[Step]:
        return complete_last(super().steps(items))


VARIANTS: dict[str, type[SupplierClient]] = {
    "partial-then-complete": PartialThenComplete,
}

if __name__ == "__main__":
    sys.exit(main(VARIANTS[sys.argv[1]]))
