"""Run a supplier's client against a scenario on a recorded sandbox; write the client run.

One run: a fresh in-memory sandbox on a free loopback port, wrapped in the traffic recorder;
the scenario's first orders created through the sandbox's control API; the warehouse plan
written to a file; the client command started with the environment below; more orders added
as the scenario says while it runs; the client stopped (SIGTERM to its process group, then
SIGKILL) once every order is where the plan wants it and a quiet period has passed (so a
client that keeps re-sending updates is caught), or at the time limit, or when it exits by
itself. The recorded traffic, the orders and the final state go into one JSON file.

Serve mode (``command`` None) is the same run for a client the gate cannot launch (a service
started by its own deployment): the sandbox listens on the host and port asked for, the
environment below is handed to ``announce`` instead of a process, and the run waits for the
plan (plus the quiet period) or the time limit; the client is neither started nor stopped.

Environment of the client (documented in README.md):
    DROPSHIP_URL             base URL of the Supplier Orders API, ending in /v1
    DROPSHIP_TOKEN           the bearer token
    DROPSHIP_SUPPLIER_ID     the supplier id (60455)
    DROPSHIP_WAREHOUSE_FILE  the warehouse plan (JSON, see scenarios.py)
    DROPSHIP_POLL_SECONDS    the fastest polling the polling rule allows for an unchanged feed
    DROPSHIP_SCENARIO        the scenario's name (for logs; the plan says what to do)
    ORDERS_URL               base URL of the Orders API (a supplier's client does not need it)
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import httpx

from dropship_conformance.clientcheck.behaviour_checks import POLLING_RULE
from dropship_conformance.clientcheck.recorder import HARNESS_HEADER, REDACTED, TrafficRecorder
from dropship_conformance.clientcheck.scenarios import (
    SUPPLIER_ID,
    TOKEN,
    Batch,
    PlannedOrder,
    Scenario,
    build_plan,
    final_status,
    planned_orders,
)
from dropship_conformance.clientcheck.summary import ENDINGS
from dropship_conformance.clientcheck.traffic import PENDING, RUN_FORMAT
from dropship_conformance.errors import ConformanceError
from dropship_conformance.sandbox import dropship_model
from dropship_conformance.sandbox.clock import Clock
from dropship_conformance.sandbox.control import DROPSHIP_BASE, ORDERS_BASE
from dropship_conformance.sandbox.profile import Profile
from dropship_conformance.sandbox.server import serve_in_thread

# DEV-NUMERIC-TRACKINGINFO: the sandbox a client is judged on takes the tracking number as the
# 000/002 examples send it, so a client doing so is warned (DS-CLI-020), not left unshipped.
CLIENT_SANDBOX = Profile(name="client", numeric_tracking_info=True)
# Once the scenario is complete the client runs this much longer: enough for a few more polls
# at the suggested pace, which is when a client that forgot its state repeats itself.
SETTLE_SECONDS = 2.0
STOP_GRACE_SECONDS = 5.0
TICK_SECONDS = 0.1
KEPT_OUTPUT_LINES = 200


class HeldClock(Clock):
    """A sandbox clock that stands still at a whole second (Scenario.held_clock)."""

    def __init__(self, offset_seconds: float = 0.0) -> None:
        super().__init__(offset_seconds)
        self.held = datetime.now(UTC).replace(microsecond=0)

    def now(self) -> datetime:
        return self.held + timedelta(seconds=self.offset_seconds)


class RunError(ConformanceError):
    """The run could not be made (the client cannot start, the sandbox failed); one line."""


@dataclass
class _Output:
    """The last lines a stream of the client wrote (the report shows them, token removed)."""

    lines: deque[str] = field(default_factory=lambda: deque(maxlen=KEPT_OUTPUT_LINES))

    def pump(self, stream: IO[bytes]) -> None:
        for raw in iter(stream.readline, b""):
            self.lines.append(raw.decode("utf-8", errors="replace").rstrip("\n"))
        stream.close()

    def text(self) -> str:
        return "\n".join(self.lines).replace(TOKEN, REDACTED)


class _Launched:
    """The client as a process verify-client started: its output kept, stopped at the end."""

    def __init__(self, command: Sequence[str], env: dict[str, str]) -> None:
        try:
            self.process = subprocess.Popen(
                list(command),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as error:
            raise RunError(f"cannot start the client command {command[0]!r}: {error}") from None
        self.outputs = {"stdout": _Output(), "stderr": _Output()}
        self.pumps = [
            threading.Thread(target=self.outputs[name].pump, args=(stream,), daemon=True)
            for name, stream in (("stdout", self.process.stdout), ("stderr", self.process.stderr))
        ]
        for pump in self.pumps:
            pump.start()

    def exited(self) -> bool:
        return self.process.poll() is not None

    def stop(self) -> None:
        _stop(self.process)
        for pump in self.pumps:
            pump.join(STOP_GRACE_SECONDS)

    def facts(self) -> dict[str, Any]:
        return {
            "mode": "launched",
            "exit_code": self.process.returncode,
            "stdout": self.outputs["stdout"].text(),
            "stderr": self.outputs["stderr"].text(),
        }


class _Served:
    """A client started by someone else: the gate only waits for it, and keeps no output."""

    def exited(self) -> bool:
        return False

    def stop(self) -> None:
        return None

    def facts(self) -> dict[str, Any]:
        return {"mode": "serve", "exit_code": None, "stdout": "", "stderr": ""}


class _Book:
    """The supplier's dropship orders, read from the sandbox's store as they appear."""

    def __init__(self, recorder: TrafficRecorder, origin: float) -> None:
        if recorder.store is None:
            raise RunError("the sandbox store is not reachable from the recorder")
        self.store = recorder.store
        self.origin = origin
        self.orders: dict[str, dict[str, Any]] = {}

    def _rows(self) -> list[Any]:
        with self.store.read() as conn:
            rows: list[Any] = conn.execute(
                "SELECT * FROM ds_orders WHERE supplier_id = ? ORDER BY rowid", (SUPPLIER_ID,)
            ).fetchall()
        return rows

    def refresh(self, source: str) -> None:
        """Note orders not seen before, created (by the caller) just now."""
        now = time.monotonic() - self.origin
        for row in self._rows():
            if row["id"] not in self.orders:
                items = dropship_model.order_items(row)
                self.orders[row["id"]] = {
                    "order_id": row["id"],
                    "source": source,
                    "created": now,
                    "items": [{"sku": i["sku"], "quantity": i["quantity"]} for i in items],
                }

    def complete(self, plan: dict[str, Any]) -> bool:
        """Every item is where the plan wants it (an unplanned one: past PendingSupplier)."""
        for row in self._rows():
            model = json.loads(row["data"])
            for item, state in zip(
                model["items"], dropship_model.item_states(row, model), strict=True
            ):
                wanted = final_status(plan["skus"].get(item["sku"]))
                if state["status"] == PENDING or (
                    wanted != "Ordered" and state["status"] != wanted
                ):
                    return False
        return True

    def final(self) -> dict[str, list[dict[str, Any]]]:
        """Every order's items as the sandbox keeps them (status, tracking, carrier...)."""
        out = {}
        with self.store.read() as conn:
            for row in conn.execute(
                "SELECT * FROM ds_orders WHERE supplier_id = ? ORDER BY rowid", (SUPPLIER_ID,)
            ).fetchall():
                view = dropship_model.order_view(self.store, conn, row)
                out[row["id"]] = [
                    {k: v for k, v in item.items() if k != "orders-item-id"}
                    for item in view["item-status"]
                ]
        return out


def _create(control: httpx.Client, batch: Batch, orders: list[PlannedOrder]) -> None:
    """Create one batch's orders through the sandbox's control API."""
    try:
        if batch.template is None:
            reply = control.post(f"/suppliers/{SUPPLIER_ID}/events", json={"count": batch.count})
            reply.raise_for_status()
            return
        for order in orders:
            reply = control.post(f"/suppliers/{SUPPLIER_ID}/orders", json=order.control_body())
            reply.raise_for_status()
    except httpx.HTTPError as error:
        raise RunError(f"the sandbox did not take the scenario's orders: {error}") from None


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the client's process group (a shell wrapper passes it on), then SIGKILL."""
    group = hasattr(os, "killpg")
    if process.poll() is not None:
        # The client ended; what it left running in its own process group goes too.
        if group:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        return
    with contextlib.suppress(ProcessLookupError):
        if group:
            os.killpg(process.pid, signal.SIGTERM)
        else:
            process.terminate()
    try:
        process.wait(STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            if group:
                os.killpg(process.pid, signal.SIGKILL)
            else:
                process.kill()
        process.wait(STOP_GRACE_SECONDS)


def client_environment(root: str, warehouse: Path, scenario: Scenario) -> dict[str, str]:
    """The variables a client under test reads (added to the caller's environment)."""
    return {
        "DROPSHIP_URL": root + DROPSHIP_BASE,
        "DROPSHIP_TOKEN": TOKEN,
        "DROPSHIP_SUPPLIER_ID": str(SUPPLIER_ID),
        "DROPSHIP_WAREHOUSE_FILE": str(warehouse),
        "DROPSHIP_POLL_SECONDS": f"{POLLING_RULE.min_unchanged_repoll_seconds:g}",
        "DROPSHIP_SCENARIO": scenario.name,
        "ORDERS_URL": root + ORDERS_BASE,
    }


def run_client(
    scenario: Scenario,
    command: Sequence[str] | None,
    time_limit: float,
    workdir: Path,
    progress: Callable[[str], None] = lambda line: None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    announce: Callable[[dict[str, str]], None] = lambda env: None,
) -> Path:
    """Run ``command`` through ``scenario``; return the path of the client run file.

    ``command`` None is serve mode: ``announce`` receives the client's environment once the
    sandbox on ``host``:``port`` holds the scenario's first orders, and the run waits for a
    client started elsewhere.
    """
    origin = time.monotonic()
    harness_key = secrets.token_hex(16)
    holder: dict[str, TrafficRecorder] = {}

    def wrap(app: Any) -> TrafficRecorder:
        holder["recorder"] = TrafficRecorder(
            app, token=TOKEN, harness_key=harness_key, origin=origin
        )
        return holder["recorder"]

    started_utc = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        handle = serve_in_thread(
            ":memory:", host=host, port=port, wrap=wrap, profile=CLIENT_SANDBOX
        )
    except Exception as error:  # the sandbox is ours: say why it did not start, in one line
        raise RunError(f"the sandbox did not start: {error}") from None
    with (
        handle as root,
        httpx.Client(
            base_url=root + "/_sandbox", headers={HARNESS_HEADER: harness_key}, timeout=30
        ) as control,
    ):
        recorder = holder["recorder"]
        book = _Book(recorder, origin)
        if scenario.held_clock:
            book.store.clock = HeldClock(book.store.clock.offset_seconds)
        book.refresh("seed")
        by_batch: dict[int, list[PlannedOrder]] = {}
        for order in planned_orders(scenario):
            by_batch.setdefault(order.batch_index, []).append(order)
        pending: list[tuple[int, Batch]] = []
        for index, batch in enumerate(scenario.batches):
            if batch.at is None:
                _create(control, batch, by_batch.get(index, []))
                book.refresh("initial")
            else:
                pending.append((index, batch))
        pending.sort(key=lambda entry: entry[1].at or 0.0)
        seeded = [o["items"] for o in book.orders.values() if o["source"] == "seed"]
        plan = build_plan(scenario, seeded)
        warehouse = workdir / f"warehouse-{scenario.name}.json"
        warehouse.write_text(json.dumps(plan, indent=2), encoding="utf-8")
        variables = client_environment(root, warehouse, scenario)
        client: _Launched | _Served
        if command is None:
            client = _Served()
            announce(variables)
        else:
            client = _Launched(command, {**os.environ, **variables})
        client_started = time.monotonic() - origin
        waiting = "client started" if command is not None else "waiting for the client"
        progress(f"scenario {scenario.name}: {len(book.orders)} orders in the feed; {waiting}")
        arrivals: list[dict[str, Any]] = []
        first_poll: float | None = None
        complete_since: float | None = None
        stopped_by = "time-limit"
        try:
            while True:
                now = time.monotonic() - origin
                if first_poll is None:
                    first_poll = next(
                        (
                            r["t"]
                            for r in recorder.snapshot()
                            if r["method"] == "GET" and r["path"].endswith("/Notifications")
                        ),
                        None,
                    )
                # A served client starts when its deployment says: arrivals wait for its
                # first poll, where a launched one's count from its start.
                anchor = first_poll
                if anchor is None and command is not None:
                    anchor = client_started
                while pending and anchor is not None and now >= anchor + (pending[0][1].at or 0.0):
                    index, batch = pending.pop(0)
                    _create(control, batch, by_batch.get(index, []))
                    book.refresh("arrival")
                    since_start = time.monotonic() - origin - client_started
                    arrivals.append({"at": batch.at, "created": since_start, "count": batch.count})
                    progress(f"  {batch.count} orders arrived {since_start:.1f}s after the start")
                if client.exited():
                    stopped_by = "exit"
                    break
                if not pending and book.complete(plan):
                    complete_since = now if complete_since is None else complete_since
                    if now - complete_since >= SETTLE_SECONDS:
                        stopped_by = "complete"
                        break
                else:
                    complete_since = None
                if now - client_started >= time_limit:
                    break
                time.sleep(TICK_SECONDS)
        finally:
            client.stop()
        client_ended = time.monotonic() - origin
        progress(
            f"  {ENDINGS[stopped_by].format(limit=time_limit, **client.facts())} "
            f"({client_ended - client_started:.1f}s, {len(recorder.records)} requests recorded)"
        )
        # Requests still in flight when the client was stopped finish before the snapshot.
        time.sleep(TICK_SECONDS)
        data = {
            "format": RUN_FORMAT,
            "scenario": scenario.name,
            "supplier_id": SUPPLIER_ID,
            "root_url": root,
            "started_utc": started_utc,
            "command": [part.replace(TOKEN, REDACTED) for part in command or []],
            "client": {
                "started": client_started,
                "ended": client_ended,
                "ran_seconds": client_ended - client_started,
                "first_poll": None if first_poll is None else first_poll - client_started,
                "stopped_by": stopped_by,
                "time_limit": time_limit,
                **client.facts(),
            },
            "orders": list(book.orders.values()),
            "arrivals": arrivals,
            "plan": plan,
            "final": book.final(),
            "records": recorder.snapshot(),
            "dropped": recorder.dropped,
        }
    path = workdir / f"client-run-{scenario.name}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path
