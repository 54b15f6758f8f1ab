"""The client run: what verify-client recorded, as the checks read it.

A run file (JSON, written by :mod:`.runner`) holds the scenario, the orders of the supplier's
feed with the moment each was created, the warehouse plan, every request of the client as
:mod:`.recorder` kept it, and the sandbox's final state. :class:`ClientRun` loads it and
replays the client's updates in the order the sandbox answered them, so that every update
request knows the state of the items it addresses *before* it (:class:`Change`): that is what
the transition, tracking and duplicate checks judge.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from dropship_conformance import openapi
from dropship_conformance.checks import ids
from dropship_conformance.client.exchange import Exchange
from dropship_conformance.clientcheck.scenarios import SCENARIOS, Scenario

RUN_FORMAT = 1
# ASSUME-SANDBOX-PATHS: where the sandbox serves each API.
API_BASES = {"dropship": "/dropship/v1", "orders": "/orders/v1"}
VERSION = "/v1"
FEED_OPERATIONS = ("getNotifications", "getNotificationsPage")
UPDATE_OPERATIONS = ("putOrderStatusUpdate", "putItemStatusUpdate")
PENDING = "PendingSupplier"
NOT_JSON = object()
# Answers that refuse a request before its content is read, and the rule each refusal breaks:
# the root cause of whatever the client could then not do (judged once, there).
REQUEST_REFUSALS: dict[int, str] = {401: ids.DS_CLI_009, 415: ids.DS_CLI_014}


@cache
def status_names() -> dict[int, str]:
    """Dropship status ids to names, from the OpenAPI's x-enumeration (001 §ENUMERATIONS)."""
    table = openapi.document("dropship")["components"]["schemas"]["OrderStatus"]["x-enumeration"]
    return {row["id"]: row["name"] for row in table}


def status_name(value: Any) -> str | None:
    """A status sent by name or JSON-integer id (DEV-STATUS-NAME-OR-ID), else None."""
    names = status_names()
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return names.get(value)
    if isinstance(value, str) and value in names.values():
        return value
    return None


def tracking_numbers(value: Any) -> tuple[str, ...]:
    """The tracking numbers of a TrackingInfo (comma-delimited, 001 §Multiple Shiments)."""
    if value is None:
        return ()
    return tuple(part.strip() for part in str(value).split(",") if part.strip())


# ---------------------------------------------------------------- routes of specs/


@dataclass(frozen=True)
class Route:
    api: str
    operation_id: str
    method: str
    pattern: re.Pattern[str]


@cache
def routes() -> tuple[Route, ...]:
    """Every operation of both OpenAPI documents as a regular expression over the path."""
    found = []
    for op in openapi.operations():
        parts = re.split(r"\{(\w+)\}", op.path)
        regex = "".join(
            f"(?P<{part}>[^/]*)" if index % 2 else re.escape(part)
            for index, part in enumerate(parts)
        )
        # DEV-BASE-V1: 001 §ENDPOINTS has no /v1, so a path without it still names the operation
        # (the /v1 itself is DS-CLI-019, a SHOULD).
        root = re.escape(API_BASES[op.api].removesuffix(VERSION)) + f"(?:{re.escape(VERSION)})?"
        pattern = re.compile(root + regex + "/?")
        found.append(Route(op.api, op.operation_id, op.method, pattern))
    return tuple(found)


def match_route(method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
    """(the operation, its path parameters, whether the path is known for another method)."""
    path_known = False
    for route in routes():
        found = route.pattern.fullmatch(path)
        if found is None:
            continue
        if route.method == method.upper():
            return route, found.groupdict(), True
        path_known = True
    return None, {}, path_known


# ---------------------------------------------------------------- item state and changes


@dataclass(frozen=True)
class ItemState:
    """One order item as the client's accepted updates have left it."""

    status: str = PENDING
    tracking: tuple[str, ...] = ()
    provider: str | None = None
    message: str | None = None
    partial_quantity: int = 0  # units reported by PartiallyShipped updates so far


@dataclass(frozen=True)
class Change:
    """What one update asks of one item: the item before, the fields sent, the item after."""

    sku: str
    via: str  # "order" (OrderStatusUpdate) or "item" (ItemStatusUpdate)
    sent: dict[str, Any]  # the OrderStatusUpdate body, or the item's ItemInformation
    status: str | None  # the sent Status by name (None: not a documented name or id)
    before: ItemState
    after: ItemState  # as the sandbox keeps it once accepted (001: later values replace)


def _apply(before: ItemState, sent: dict[str, Any], status: str | None) -> ItemState:
    """The sandbox's rule: the status is set; a field sent non-null replaces the old value."""
    after = before
    if status is not None:
        after = replace(after, status=status)
    if sent.get("TrackingInfo") is not None:
        after = replace(after, tracking=tracking_numbers(sent["TrackingInfo"]))
    if sent.get("ShippingProvider") is not None:
        after = replace(after, provider=str(sent["ShippingProvider"]))
    if sent.get("Message") is not None:
        after = replace(after, message=str(sent["Message"]))
    quantity = sent.get("Quantity")
    if (
        status == "PartiallyShipped"
        and isinstance(quantity, int)
        and not isinstance(quantity, bool)
    ):
        after = replace(after, partial_quantity=after.partial_quantity + quantity)
    return after


# ---------------------------------------------------------------- records


@dataclass
class Record:
    """One request of the client and the sandbox's answer."""

    seq: int
    t: float  # seconds since the client started, when the request arrived
    t_end: float  # when the answer was complete
    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    auth: str  # "ok", "missing", "not bearer" or "wrong token"
    body: str
    status: int
    response_headers: tuple[tuple[str, str], ...]
    response_body: str
    feed: dict[str, Any] | None
    route: Route | None = None
    params: dict[str, str] = field(default_factory=dict)
    path_known: bool = False
    changes: list[Change] = field(default_factory=list)
    # The tracking numbers on any item of the addressed order before this request.
    order_tracking: frozenset[str] = frozenset()

    @classmethod
    def from_json(cls, raw: dict[str, Any], offset: float = 0.0) -> Record:
        record = cls(
            seq=raw["seq"],
            t=raw["t"] - offset,
            t_end=raw["t_end"] - offset,
            method=raw["method"],
            path=raw["path"],
            query=raw.get("query", ""),
            headers=tuple((k, v) for k, v in raw["headers"]),
            auth=raw["auth"],
            body=raw.get("body", ""),
            status=raw["status"],
            response_headers=tuple((k, v) for k, v in raw.get("response_headers", [])),
            response_body=raw.get("response_body", ""),
            feed=raw.get("feed"),
        )
        record.route, record.params, record.path_known = match_route(record.method, record.path)
        return record

    @property
    def operation(self) -> str | None:
        return self.route.operation_id if self.route else None

    @property
    def label(self) -> str:
        target = self.path + (f"?{self.query}" if self.query else "")
        return f"#{self.seq} at +{self.t:.2f}s {self.method} {target} -> {self.status}"

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300

    @property
    def is_feed(self) -> bool:
        return self.operation in FEED_OPERATIONS

    @property
    def is_current_read(self) -> bool:
        return self.operation == "getNotifications"

    @property
    def is_update(self) -> bool:
        return self.operation in UPDATE_OPERATIONS

    @property
    def order_id(self) -> str | None:
        value = self.params.get("OrderId")
        return value.lower() if value else None

    def json(self) -> Any:
        """The request body as JSON, or NOT_JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return NOT_JSON

    def sent_items(self) -> list[tuple[str | None, dict[str, Any]]]:
        """(Sku or None for the whole order, the fields sent) of an update body."""
        body = self.json()
        if not isinstance(body, dict):
            return []
        if self.operation == "putOrderStatusUpdate":
            return [(None, body)]
        infos = body.get("ItemInformation")
        if not isinstance(infos, list):
            return []
        # An entry without a usable Sku addresses no item ("" matches none), never the order.
        return [
            (info["Sku"] if isinstance(info.get("Sku"), str) else "", info)
            for info in infos
            if isinstance(info, dict)
        ]

    def exchange(self, root_url: str) -> Exchange:
        """The record as the report shows an HTTP exchange (the token is already redacted)."""
        query = f"?{self.query}" if self.query else ""
        return Exchange(
            method=self.method,
            url=f"{root_url}{self.path}{query}",
            request_headers=self.headers,
            request_body=self.body,
            status=self.status,
            response_headers=self.response_headers,
            response_body=self.response_body,
            elapsed_ms=(self.t_end - self.t) * 1000.0,
        )


# ---------------------------------------------------------------- the run


@dataclass(frozen=True)
class Finding:
    """One problem a check found, with the requests that show it."""

    message: str
    records: tuple[Record, ...] = ()


@dataclass(frozen=True)
class Order:
    order_id: str
    source: str  # "seed", "initial" or "arrival"
    created: float  # seconds since the client started (negative: before it started)
    items: tuple[tuple[str, int], ...]  # (sku, quantity)

    @property
    def skus(self) -> tuple[str, ...]:
        return tuple(sku for sku, _ in self.items)


class ClientRun:
    """A loaded run file, with the client's updates replayed over the orders."""

    def __init__(self, data: dict[str, Any], path: Path | None = None) -> None:
        if data.get("format") != RUN_FORMAT:
            raise ValueError(f"not a client run file of format {RUN_FORMAT}")
        self.data = data
        self.path = path
        self.scenario: Scenario = SCENARIOS[data["scenario"]]
        self.supplier_id = int(data["supplier_id"])
        self.root_url: str = data["root_url"]
        self.client: dict[str, Any] = data["client"]
        # The run file counts seconds from the sandbox's start; a reader of the report wants
        # them from the client's start, so every time here is relative to that.
        offset = float(self.client["started"])
        self.plan: dict[str, Any] = data["plan"]
        self.orders: dict[str, Order] = {
            o["order_id"]: Order(
                o["order_id"],
                o["source"],
                o["created"] - offset,
                tuple((i["sku"], int(i["quantity"])) for i in o["items"]),
            )
            for o in data["orders"]
        }
        self.final: dict[str, dict[str, dict[str, Any]]] = {
            order_id: {item["sku"]: item for item in items}
            for order_id, items in data["final"].items()
        }
        self.records = [Record.from_json(raw, offset) for raw in data["records"]]
        self.dropped = int(data.get("dropped", 0))
        # When a feed document the client received first held each order's order-created.
        self.received: dict[str, float] = {}
        self._replay()

    @classmethod
    def load(cls, path: Path) -> ClientRun:
        return cls(json.loads(Path(path).read_text(encoding="utf-8")), Path(path))

    @property
    def name(self) -> str:
        return self.scenario.name

    def _replay(self) -> None:
        state: dict[str, dict[str, ItemState]] = {
            order_id: {sku: ItemState() for sku in order.skus}
            for order_id, order in self.orders.items()
        }
        for record in sorted(self.records, key=lambda r: (r.t_end, r.seq)):
            if record.is_feed and record.feed is not None:
                for entry in record.feed["entries"]:
                    if entry["kind"] == "order-created" and entry["order_id"]:
                        self.received.setdefault(entry["order_id"], record.t_end)
            if not record.is_update or record.order_id not in state:
                continue
            # Entries of one request apply in turn, as the sandbox applies them.
            working = dict(state[record.order_id])
            record.order_tracking = frozenset(n for item in working.values() for n in item.tracking)
            for sku, sent in record.sent_items():
                status = status_name(sent.get("Status"))
                via = "order" if sku is None else "item"
                targets = list(working) if sku is None else [sku] if sku in working else []
                for target in targets:
                    before = working[target]
                    change = Change(target, via, sent, status, before, _apply(before, sent, status))
                    record.changes.append(change)
                    working[target] = change.after
            if record.accepted:
                state[record.order_id] = working

    # ---- views the checks share

    @property
    def updates(self) -> list[Record]:
        return [r for r in self.records if r.is_update]

    @property
    def current_reads(self) -> list[Record]:
        return [r for r in self.records if r.is_current_read and r.status == 200]

    @property
    def first_read(self) -> float:
        """When the client began monitoring the feed: its first read of the current document."""
        reads = self.current_reads
        return reads[0].t if reads else float("inf")

    def refusals(self) -> dict[int, list[Record]]:
        """The client's requests refused as requests (REQUEST_REFUSALS), by status."""
        found: dict[int, list[Record]] = {}
        for record in self.records:
            if record.status in REQUEST_REFUSALS:
                found.setdefault(record.status, []).append(record)
        return found

    def accepted_changes(self, order_id: str, sku: str) -> Iterator[tuple[Record, Change]]:
        for record in self.updates:
            if record.accepted and record.order_id == order_id:
                for change in record.changes:
                    if change.sku == sku:
                        yield record, change

    @property
    def stopped_by(self) -> str:
        """ "exit" (the client ended by itself), "complete" or "time-limit" (verify-client)."""
        return str(self.client.get("stopped_by", "exit"))

    def had_time(self, order_id: str) -> bool:
        """Whether the client had a full poll cycle to act on an order it received.

        A client stopped by verify-client is not blamed for orders it first saw in its last
        read of the current document; one that ended by itself had all the time it wanted.
        """
        seen = self.received.get(order_id)
        if seen is None:
            return False
        if self.stopped_by == "exit":
            return True
        reads = self.current_reads
        return bool(reads) and seen < reads[-1].t

    def plan_of(self, sku: str) -> dict[str, Any] | None:
        entry: dict[str, Any] | None = self.plan["skus"].get(sku)
        return entry

    def situation(self, order_id: str, sku: str) -> str:
        """What the warehouse says of an item: a key of its plan entry, or "held" (in stock
        beside an item awaiting restock) or "in stock" (not shipped yet)."""
        entry = self.plan_of(sku) or {}
        kind = next((k for k in ("shipments", "cancel", "backorder") if k in entry), None)
        if kind is not None:
            return kind
        order = self.orders.get(order_id)
        siblings = order.skus if order else ()
        held = any("backorder" in (self.plan_of(s) or {}) for s in siblings)
        return "held" if held else "in stock"

    def final_item(self, order_id: str, sku: str) -> dict[str, Any]:
        return self.final.get(order_id, {}).get(sku, {})
