"""How much of the fault and conditional-bug tables a plain ``pytest`` runs.

Each entry of those tables costs a whole harness run (about 5 to 15 s), so by default the
self-tests run a fixed sample that still covers every group: one fault per requirement prefix
(DS-FEED, ORD-CRT, ...) and one bug per (condition kind, caught or not). The sample is chosen
by table order, so it is the same on every run. ``DROPSHIP_SELFCHECK=full pytest`` runs every
entry, as ``dropship-conformance faults`` and ``dropship-conformance bugs`` always do.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

Item = TypeVar("Item")

FULL = os.environ.get("DROPSHIP_SELFCHECK", "").lower() == "full"


def sample(items: Iterable[Item], group: Callable[[Item], Hashable]) -> list[Item]:
    """Every item under ``DROPSHIP_SELFCHECK=full``; otherwise the first item of each group."""
    kept: dict[Hashable, Item] = {}
    everything = list(items)
    if FULL:
        return everything
    for item in everything:
        kept.setdefault(group(item), item)
    return list(kept.values())
