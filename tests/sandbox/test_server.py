"""The sandbox as a real server: durability across restarts and kills, concurrency, the CLI."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from dropship_conformance import cli
from dropship_conformance.feed import check_document, read_feed
from dropship_conformance.feed.events import to_value
from dropship_conformance.sandbox import serve_in_thread

from .helpers import SEED_ORDER, SUPPLIER, TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}
FEED = f"/dropship/v1/Suppliers({SUPPLIER})/Notifications"


def walk(client: httpx.Client) -> list:
    """Every document of the feed, current first; each checked against the XSDs and rules."""
    response = client.get(FEED)
    assert response.status_code == 200
    assert check_document(response.content, "current") == []
    documents = [read_feed(response.content)]
    while (prev := documents[-1].link("prev-archive")) is not None:
        response = client.get(prev)
        assert response.status_code == 200
        assert check_document(response.content, "archive") == []
        documents.append(read_feed(response.content))
    return documents


def status_messages(documents: list) -> list[str]:
    found = []
    for doc in documents:
        for entry in doc.entries:
            if entry.payload_kind == "order-status-updated":
                found.extend(i["message"] for i in to_value(entry.payload)["items"])
    return found


def test_acknowledged_update_survives_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "sandbox.sqlite3")
    marker = f"durable-{uuid.uuid4()}"
    with serve_in_thread(db) as base, httpx.Client(base_url=base, headers=AUTH) as client:
        assert (
            client.post("/_sandbox/suppliers/60455/events", json={"count": 60}).status_code == 201
        )
        assert client.post("/_sandbox/clock", json={"advance_hours": 5}).status_code == 200
        response = client.put(
            f"/dropship/v1/Suppliers(60455)/Orders({SEED_ORDER})/OrderStatusUpdate",
            json={"Id": SEED_ORDER, "Status": "Shipped", "Message": marker},
        )
        assert response.status_code == 202
        order = client.post(
            "/orders/v1/Companies(14146)/Orders", json={"EntityId": 14202, "OrderTypeId": 3}
        ).json()
        before = walk(client)
        archive_url = before[1].link("self")
        archive = client.get(archive_url).content
        old_base = base
    with serve_in_thread(db) as base, httpx.Client(base_url=base, headers=AUTH) as client:
        after = walk(client)
        assert marker in status_messages(after)
        assert [e.id for d in after for e in d.entries] == [e.id for d in before for e in d.entries]
        again = client.get(archive_url.replace(old_base, base)).content
        assert again == archive.replace(old_base.encode(), base.encode())
        got = client.get(f"/orders/v1/Companies(14146)/Orders({order['Id']})")
        assert got.status_code == 200 and got.json() == order
        clock = client.get("/_sandbox/clock").json()
        assert clock["offset_hours"] == 5


@contextmanager
def sandbox_process(db: str) -> Iterator[tuple[subprocess.Popen, str]]:
    """``dropship-conformance sandbox`` in a child process on a free port."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dropship_conformance.cli",
            "sandbox",
            "--port",
            "0",
            "--db",
            db,
            "--log-level",
            "warning",
            "--control",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = None
        lines = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            match = re.search(r"Dropship \(Supplier Orders\) API: (http://\S+)/dropship/v1", line)
            if match:
                base = match.group(1)
            if "Press Ctrl+C" in line:
                break
        assert base, (
            f"no banner: {lines} {process.stderr.read() if process.poll() is not None else ''}"
        )
        assert any("sandbox-token" in line for line in lines)
        assert any("sandbox-company-33772" in line for line in lines)
        yield process, base
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        process.stdout.close()
        process.stderr.close()


def test_acknowledged_update_survives_a_kill(tmp_path: Path) -> None:
    """The 202 is sent after the commit: killing the process right after loses nothing."""
    db = str(tmp_path / "killed.sqlite3")
    markers = [f"kill-{n}-{uuid.uuid4()}" for n in range(5)]
    with (
        sandbox_process(db) as (process, base),
        httpx.Client(base_url=base, headers=AUTH) as client,
    ):
        for marker in markers:
            response = client.put(
                f"/dropship/v1/Suppliers(60455)/Orders({SEED_ORDER})/OrderStatusUpdate",
                json={"Id": SEED_ORDER, "Status": "Other", "Message": marker},
            )
            assert response.status_code == 202
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    with sandbox_process(db) as (_, base), httpx.Client(base_url=base, headers=AUTH) as client:
        found = status_messages(walk(client))
        for marker in markers:
            assert marker in found


def test_concurrent_updates_lose_nothing(tmp_path: Path) -> None:
    """8 clients, 2,000 updates in total: exactly 2,000 new events, pages of 50, no duplicate."""
    threads, per_thread = 8, 250
    with serve_in_thread(str(tmp_path / "busy.sqlite3")) as base:
        with httpx.Client(base_url=base, headers=AUTH) as client:
            orders = [
                client.post("/_sandbox/suppliers/60455/orders", json={}).json()["order-id"]
                for _ in range(threads)
            ]
            before = walk(client)
        before_count = sum(len(d.entries) for d in before)
        failures: list[str] = []

        def worker(n: int) -> None:
            order_id = orders[n]
            with httpx.Client(base_url=base, headers=AUTH, timeout=30) as session:
                for i in range(per_thread):
                    response = session.put(
                        f"/dropship/v1/Suppliers(60455)/Orders({order_id})/OrderStatusUpdate",
                        json={"Id": order_id, "Status": "Ordered", "Message": f"t{n}-{i}"},
                    )
                    if response.status_code != 202:
                        failures.append(f"{n}/{i}: {response.status_code} {response.text}")

        pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        assert failures == []
        with httpx.Client(base_url=base, headers=AUTH) as client:
            after = walk(client)
    total = sum(len(d.entries) for d in after)
    assert total == before_count + threads * per_thread
    assert all(len(d.entries) == 50 for d in after[1:])
    ids = [e.id for d in after for e in d.entries]
    assert len(ids) == len(set(ids))
    messages = status_messages(after)
    expected = {f"t{n}-{i}" for n in range(threads) for i in range(per_thread)}
    assert sorted(messages) == sorted(expected)
    # Each client's updates appear in the order it sent them (newest first in the feed).
    for n in range(threads):
        mine = [int(m.split("-")[1]) for m in messages if m.startswith(f"t{n}-")]
        assert mine == sorted(mine, reverse=True)


def test_cli_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = cli.main(["sandbox", "--port", str(port), "--db", ":memory:"])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("dropship-conformance: cannot listen on 127.0.0.1:")
    assert "\n" not in err


def test_cli_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    assert cli.main(["sandbox", "--help"]) == 0
    assert "--db" in capsys.readouterr().out
    assert cli.main(["sandbox", "--port", "x"]) == 2


def test_serve_in_thread_unpacks(tmp_path: Path) -> None:
    base, stop = serve_in_thread(str(tmp_path / "x.sqlite3"))
    try:
        assert httpx.get(f"{base}/_sandbox/info").json()["sandbox"] is True
    finally:
        stop()
    stop()  # harmless twice
