"""A small reference supplier client for the iQmetrix dropship Supplier Orders API.

It does what the documents ask of a supplier (000/001 Supplier Orders API, 002 Dropship Order
Management Guide) and passes every scenario of ``dropship-conformance verify-client``:

1. It monitors the order feed: ``GET /Suppliers({id})/Notifications`` with
   ``Accept: application/atom+xml``, every ``DROPSHIP_POLL_SECONDS``.
2. It reads only what is new. 002 recommends storing "the timestamp for the last order
   retrieved" as the marker for the next batch: from the current document it follows
   ``prev-archive`` links until it reaches an entry at or before its marker, so no order is
   missed however many arrived since, and no archive page is read twice.
3. It picks up every new order once (OrderStatusUpdate ``Ordered``), then does what its
   warehouse says (here: the JSON file ``DROPSHIP_WAREHOUSE_FILE``):
   an item temporarily out of stock -> the order held with one OrderStatusUpdate
   ``BackOrdered`` (the reason as Message), nothing shipped in part;
   every item cancelled -> one OrderStatusUpdate ``Cancelled`` with the reason as Message;
   every item in one shipment under one tracking number -> one OrderStatusUpdate ``Shipped``
   with TrackingInfo and ShippingProvider; otherwise ItemStatusUpdates, one shipment at a
   time: ``PartiallyShipped`` with its Quantity until an item's last shipment, then
   ``Shipped``, and ``Cancelled`` with a Message for items that cannot be fulfilled.
4. Before adding a tracking number it takes the ones the item already has (its own updates
   and the feed's order-status-updated entries) and sends old and new together,
   comma-delimited (001 "Important").
5. It keeps its state (marker, orders and the next step of each, tracking numbers) in memory
   and, when ``DROPSHIP_STATE_FILE`` is set, in that file, so a restart repeats nothing.
   A refused update (4xx) is logged and not retried; a server or network error is retried
   at the next poll.

Configuration (what verify-client sets): ``DROPSHIP_URL`` (base URL ending in /v1),
``DROPSHIP_TOKEN``, ``DROPSHIP_SUPPLIER_ID``, ``DROPSHIP_WAREHOUSE_FILE``,
``DROPSHIP_POLL_SECONDS`` (default 60). It stops on SIGTERM or SIGINT, or after
``DROPSHIP_CLIENT_MAX_SECONDS`` (default 3600).

Run it: ``dropship-conformance verify-client -- python examples/reference_client.py``
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from lxml import etree

ATOM = "{http://www.w3.org/2005/Atom}"
DS = "{urn:iQmetrix:dropship}"
NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
# The feed comes from the network: no DTD, no entities, no network access while parsing.
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def log(message: str) -> None:
    print(f"reference-client: {message}", file=sys.stderr, flush=True)


@dataclass
class Entry:
    """One feed entry: an order-created or an order-status-updated."""

    id: str
    updated: datetime
    kind: str
    order_id: str
    items: list[dict[str, str | None]]  # order-item or item-information fields, as text


def parse_feed(content: bytes) -> tuple[list[Entry], str | None]:
    """The entries of a feed document (newest first) and its prev-archive link."""
    root = etree.fromstring(content, PARSER)
    prev = None
    for link in root.findall(f"{ATOM}link"):
        if link.get("rel") == "prev-archive":
            prev = link.get("href")
    entries = []
    for element in root.findall(f"{ATOM}entry"):
        payload = next(iter(element.find(f"{ATOM}content")), None)
        if payload is None:
            continue
        items = payload.find(f"{DS}items")
        entries.append(
            Entry(
                id=element.findtext(f"{ATOM}id", "").strip(),
                updated=datetime.fromisoformat(element.findtext(f"{ATOM}updated", "").strip()),
                kind=etree.QName(payload).localname,
                order_id=payload.findtext(f"{DS}order-id", "").strip().lower(),
                items=[
                    {
                        etree.QName(f).localname: None if f.get(NIL) == "true" else (f.text or "")
                        for f in item
                    }
                    for item in (items if items is not None else [])
                ],
            )
        )
    return entries, prev


@dataclass
class State:
    """What the client remembers between polls (and restarts, with a state file)."""

    marker: str | None = None  # updated of the newest entry read: 002's timestamp marker
    marker_ids: list[str] = field(default_factory=list)  # entries read at exactly that time
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> items, next step
    tracking: dict[str, list[str]] = field(default_factory=dict)  # "order/sku" -> numbers

    @classmethod
    def load(cls, path: Path | None) -> State:
        if path is None or not path.is_file():
            return cls()
        return cls(**json.loads(path.read_text(encoding="utf-8")))

    def save(self, path: Path | None) -> None:
        if path is not None:
            temporary = path.with_suffix(".tmp")
            temporary.write_text(json.dumps(asdict(self)), encoding="utf-8")
            temporary.replace(path)


class SupplierClient:
    follows_archives = True  # walk prev-archive back to the marker (a broken client may not)

    def __init__(
        self,
        base_url: str,
        token: str,
        supplier_id: str,
        warehouse: dict[str, Any],
        state_file: Path | None = None,
    ) -> None:
        self.http = httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=15)
        self.feed_url = f"{base_url}/Suppliers({supplier_id})/Notifications"
        self.orders_url = f"{base_url}/Suppliers({supplier_id})/Orders"
        self.warehouse = warehouse
        self.state_file = state_file
        self.state = State.load(state_file)

    # ---- reading the feed

    def already_read(self, entry: Entry) -> bool:
        """Whether the entry is at or before the marker (several entries share a second)."""
        if self.state.marker is None:
            return False
        marker = datetime.fromisoformat(self.state.marker)
        return entry.updated < marker or (
            entry.updated == marker and entry.id in self.state.marker_ids
        )

    def new_entries(self) -> list[Entry]:
        """Entries not read before, oldest first: the current document, then prev-archive
        pages until the marker is reached (or the oldest page)."""
        fresh: list[Entry] = []
        url: str | None = self.feed_url
        while url:
            reply = self.http.get(url, headers={"Accept": "application/atom+xml"})
            reply.raise_for_status()
            entries, prev = parse_feed(reply.content)
            for entry in entries:
                if self.already_read(entry):
                    return fresh[::-1]
                fresh.append(entry)
            url = prev if self.follows_archives else None
        return fresh[::-1]

    def move_marker(self, entries: list[Entry]) -> None:
        if not entries:
            return
        newest = entries[-1].updated
        at_newest = [e.id for e in entries if e.updated == newest]
        if self.state.marker is not None and datetime.fromisoformat(self.state.marker) == newest:
            at_newest += self.state.marker_ids
        self.state.marker = newest.isoformat()
        self.state.marker_ids = at_newest

    # ---- what the feed says

    def handle(self, entry: Entry) -> None:
        if entry.kind == "order-created":
            self.handle_created(entry)
        elif entry.kind == "order-status-updated":
            # The tracking numbers the item has now, whoever sent them (001 Important).
            for item in entry.items:
                if item.get("tracking-info") and item.get("sku"):
                    self.add_tracking(entry.order_id, str(item["sku"]), item["tracking-info"])

    def handle_created(self, entry: Entry) -> None:
        if entry.order_id in self.state.orders:
            return  # already handled: each order-created is acted on once
        items = {str(i["sku"]): int(i["quantity"] or 0) for i in entry.items}
        self.state.orders[entry.order_id] = {"items": items, "next_step": 0}

    def tracking_of(self, order_id: str, sku: str) -> list[str]:
        return self.state.tracking.get(f"{order_id}/{sku}", [])

    def add_tracking(self, order_id: str, sku: str, value: str) -> None:
        numbers = self.tracking_of(order_id, sku)
        for number in value.split(","):
            if number.strip() and number.strip() not in numbers:
                numbers.append(number.strip())
        self.state.tracking[f"{order_id}/{sku}"] = numbers

    # ---- what the warehouse says

    def steps(self, items: dict[str, int]) -> list[tuple[str, dict[str, Any]]]:
        """The updates an order needs, in order: pick-up, then shipments and cancellations.

        TrackingInfo holds only the new number here; existing ones are added when sent.
        """
        carrier, info = self.warehouse.get("carrier"), self.warehouse.get("info")
        plans = {sku: self.warehouse.get("skus", {}).get(sku) for sku in items}
        steps = [("OrderStatusUpdate", {"Status": "Ordered"})]
        planned = {sku: plan for sku, plan in plans.items() if plan}
        if not planned:
            return steps  # in stock, not shipped yet: picked up, nothing more to say
        waiting = [p["backorder"] for p in planned.values() if "backorder" in p]
        if waiting:
            # 002 §3.1: hold the order until every item is in stock; ship none of it in part.
            held = {"Status": "BackOrdered", "Message": "; ".join(dict.fromkeys(waiting))}
            steps.append(("OrderStatusUpdate", held))
            return steps
        if len(planned) == len(plans) and all("cancel" in p for p in planned.values()):
            reasons = dict.fromkeys(p["cancel"] for p in planned.values())
            steps.append(
                ("OrderStatusUpdate", {"Status": "Cancelled", "Message": "; ".join(reasons)})
            )
            return steps
        firsts = {p["shipments"][0]["tracking"] for p in planned.values() if p.get("shipments")}
        complete = len(planned) == len(plans) and all(
            len(p.get("shipments", [])) == 1 for p in planned.values()
        )
        if complete and len(firsts) == 1:
            shipped = {"Status": "Shipped", "TrackingInfo": firsts.pop()}
            steps.append(
                ("OrderStatusUpdate", {**shipped, "ShippingProvider": carrier, "Info": info})
            )
            return steps
        rounds = max(len(p.get("shipments", [None])) for p in planned.values())
        for k in range(rounds):
            infos = []
            for sku, plan in planned.items():
                if "cancel" in plan:
                    if k == 0:
                        infos.append({"Sku": sku, "Status": "Cancelled", "Message": plan["cancel"]})
                    continue
                shipments = plan["shipments"]
                if k < len(shipments):
                    infos.append(
                        {
                            "Sku": sku,
                            "Status": "Shipped" if k == len(shipments) - 1 else "PartiallyShipped",
                            "Quantity": shipments[k]["quantity"],
                            "TrackingInfo": shipments[k]["tracking"],
                            "ShippingProvider": carrier,
                            "Info": info,
                        }
                    )
            steps.append(("ItemStatusUpdate", {"ItemInformation": infos}))
        return steps

    def with_existing_tracking(self, order_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """001 Important: send the tracking numbers already on the item with the new one."""
        body = json.loads(json.dumps(body))
        for fields in body.get("ItemInformation", [body]):
            if fields.get("TrackingInfo"):
                numbers: list[str] = []
                for sku in self.skus_of(order_id, fields):
                    numbers += [n for n in self.tracking_of(order_id, sku) if n not in numbers]
                if fields["TrackingInfo"] not in numbers:
                    numbers.append(fields["TrackingInfo"])
                fields["TrackingInfo"] = ",".join(numbers)
        return body

    def skus_of(self, order_id: str, fields: dict[str, Any]) -> list[str]:
        """The items an update's fields are about: one ItemInformation's, or the whole order's."""
        if "Sku" in fields:
            return [str(fields["Sku"])]
        return list(self.state.orders[order_id]["items"])

    def prepare(self, body: dict[str, Any]) -> dict[str, Any]:
        """The last look at a body before it is sent (a place for broken clients to break)."""
        return body

    # ---- updating orders

    def send(self, order_id: str, operation: str, body: dict[str, Any]) -> str:
        """PUT one update: "ok", "refused" (4xx: not retried) or "retry" (later)."""
        body = self.prepare({"Id": order_id, **self.with_existing_tracking(order_id, body)})
        try:
            reply = self.http.put(
                f"{self.orders_url}({order_id})/{operation}",
                json=body,  # also sets Content-Type: application/json
                headers={"Accept": "application/json"},
            )
        except httpx.HTTPError as error:
            log(f"{operation} {order_id}: {error}; retrying at the next poll")
            return "retry"
        if reply.is_success:
            for fields in body.get("ItemInformation", [body]):
                if isinstance(fields.get("TrackingInfo"), str):
                    for sku in self.skus_of(order_id, fields):
                        self.add_tracking(order_id, sku, fields["TrackingInfo"])
            return "ok"
        if 400 <= reply.status_code < 500:
            log(f"{operation} {order_id} refused: {reply.status_code} {reply.text[:200]}")
            return "refused"
        return "retry"

    def advance(self) -> None:
        """Send every order's next steps; stop an order at a refusal, all at an outage."""
        for order_id, order in self.state.orders.items():
            steps = self.steps(order["items"])
            while order["next_step"] < len(steps):
                operation, body = steps[order["next_step"]]
                outcome = self.send(order_id, operation, body)
                if outcome == "retry":
                    return
                order["next_step"] = len(steps) if outcome == "refused" else order["next_step"] + 1

    def poll(self) -> None:
        entries = self.new_entries()
        for entry in entries:
            self.handle(entry)
        self.move_marker(entries)
        self.advance()
        self.state.save(self.state_file)
        if entries:
            log(f"read {len(entries)} new entries; {len(self.state.orders)} orders known")

    def run(self, poll_seconds: float, max_seconds: float) -> None:
        stopping = []
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.append(True))
        deadline = time.monotonic() + max_seconds
        delay = poll_seconds
        while not stopping and time.monotonic() < deadline:
            try:
                self.poll()
                delay = poll_seconds
            except (httpx.HTTPError, etree.XMLSyntaxError, ValueError) as error:
                delay = min(max(delay * 2, poll_seconds), 60.0)  # back off while it fails
                log(f"poll failed ({error}); next try in {delay:g}s")
            wake = time.monotonic() + delay
            while not stopping and time.monotonic() < wake:
                time.sleep(min(0.05, max(0.0, wake - time.monotonic())))
        self.state.save(self.state_file)
        self.http.close()


def client_from_environment(cls: type[SupplierClient] = SupplierClient) -> SupplierClient:
    warehouse_file = os.environ.get("DROPSHIP_WAREHOUSE_FILE")
    warehouse = json.loads(Path(warehouse_file).read_text()) if warehouse_file else {}
    state_file = os.environ.get("DROPSHIP_STATE_FILE")
    return cls(
        os.environ["DROPSHIP_URL"].rstrip("/"),
        os.environ["DROPSHIP_TOKEN"],
        os.environ["DROPSHIP_SUPPLIER_ID"],
        warehouse,
        Path(state_file) if state_file else None,
    )


def main(cls: type[SupplierClient] = SupplierClient) -> int:
    client = client_from_environment(cls)
    client.run(
        poll_seconds=float(os.environ.get("DROPSHIP_POLL_SECONDS", "60")),
        max_seconds=float(os.environ.get("DROPSHIP_CLIENT_MAX_SECONDS", "3600")),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
