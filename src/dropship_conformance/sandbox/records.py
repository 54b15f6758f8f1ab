"""The plain records the store reads and writes: no SQL here, so the modules that build them
(the dropship model, the seeding) need not import the store, and the store need not import them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, NamedTuple


@dataclass(frozen=True)
class Identity:
    """What a bearer token may act as."""

    token: str
    suppliers: frozenset[int]
    companies: frozenset[int]
    description: str = ""


@dataclass
class Directory:
    """In-memory mirror of the seeded world (changes only on reset)."""

    suppliers: dict[int, str] = field(default_factory=dict)
    companies: dict[int, dict[str, Any]] = field(default_factory=dict)
    location_company: dict[int, int] = field(default_factory=dict)
    location_address: dict[int, dict[str, Any]] = field(default_factory=dict)
    location_name: dict[int, str] = field(default_factory=dict)
    customer_company: dict[str, int] = field(default_factory=dict)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    customer_addresses: dict[str, list[str]] = field(default_factory=dict)
    addresses: dict[str, dict[str, Any]] = field(default_factory=dict)
    employees: dict[int, set[int]] = field(default_factory=dict)
    tokens: dict[str, Identity] = field(default_factory=dict)


@dataclass(frozen=True)
class NewEvent:
    """An event to append to a supplier's feed."""

    kind: str  # "created" | "status"
    order_id: str
    payload: str | None  # JSON payload model; None for "created" (read from ds_orders.data)


class DsOrderRow(NamedTuple):
    """A row of ``ds_orders``, in its column order."""

    id: str
    supplier_id: int
    company_id: int
    status: str
    data: str
    item_state: str | None
    source_order_id: str | None
    created: str


def dumps(value: Any) -> str:
    """Compact JSON as stored in the database."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
