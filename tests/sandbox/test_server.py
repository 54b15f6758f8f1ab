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
WORKERS = 3
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
def sandbox_process(db: str, workers: int = 1) -> Iterator[tuple[subprocess.Popen, str]]:
    """``dropship-conformance sandbox`` in a child process on a free port (``workers``
    processes serving it)."""
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
            "--workers",
            str(workers),
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
        process.banner = "".join(lines)  # type: ignore[attr-defined]
        yield process, base
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        process.stdout.close()
        process.stderr.close()


# (database, sandbox processes): SQLite in one process, and a real PostgreSQL server shared
# by several (the throw-away cluster of conftest; skipped, saying why, without binaries).
SERVERS = [
    pytest.param("sqlite", 1, id="sqlite-1"),
    pytest.param("postgresql", WORKERS, id=f"postgresql-{WORKERS}"),
]


@pytest.fixture
def server_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        return request.getfixturevalue("pg_url")
    return str(tmp_path / "sandbox.sqlite3")


def refused(base: str) -> bool:
    try:
        httpx.get(base + "/_sandbox/info", timeout=2)
    except httpx.TransportError:
        return True
    return False


@pytest.mark.parametrize(("server_db", "workers"), SERVERS, indirect=["server_db"])
def test_acknowledged_update_survives_a_kill(server_db: str, workers: int) -> None:
    """The 202 is sent after the commit: killing the process right after loses nothing.
    With workers, SIGKILL of the supervisor takes every worker down with it."""
    db = server_db
    markers = [f"kill-{n}-{uuid.uuid4()}" for n in range(12)]
    with (
        sandbox_process(db, workers) as (process, base),
        httpx.Client(base_url=base, headers=AUTH) as client,
    ):
        for marker in markers:
            # A new connection each time, so the kernel spreads them over the workers.
            response = httpx.put(
                f"{base}/dropship/v1/Suppliers(60455)/Orders({SEED_ORDER})/OrderStatusUpdate",
                json={"Id": SEED_ORDER, "Status": "Other", "Message": marker},
                headers=AUTH,
            )
            assert response.status_code == 202
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while not refused(base) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert refused(base), "a worker outlived its killed supervisor"
    with (
        sandbox_process(db, workers) as (_, base),
        httpx.Client(base_url=base, headers=AUTH) as client,
    ):
        found = status_messages(walk(client))
        for marker in markers:
            assert marker in found


@contextmanager
def served(db: str, workers: int) -> Iterator[str]:
    """The sandbox on ``db``: in this process's thread (workers 0) or as a CLI process."""
    if workers == 0:
        with serve_in_thread(db) as base:
            yield base
    else:
        with sandbox_process(db, workers) as (_, base):
            yield base


@pytest.mark.parametrize(
    ("server_db", "workers"),
    [
        pytest.param("sqlite", 0, id="sqlite-thread"),
        pytest.param("sqlite", WORKERS, id=f"sqlite-{WORKERS}"),
        pytest.param("postgresql", WORKERS, id=f"postgresql-{WORKERS}"),
    ],
    indirect=["server_db"],
)
def test_concurrent_updates_lose_nothing(server_db: str, workers: int) -> None:
    """8 clients, 2,000 updates in total: exactly 2,000 new events, pages of 50, no duplicate,
    and an archive read before them is byte-identical after (also across processes)."""
    threads, per_thread = 8, 250
    with served(server_db, workers) as base:
        with httpx.Client(base_url=base, headers=AUTH) as client:
            assert client.post("/_sandbox/suppliers/60455/events", json={"count": 120})
            orders = [
                client.post("/_sandbox/suppliers/60455/orders", json={}).json()["order-id"]
                for _ in range(threads)
            ]
            before = walk(client)
            archive_url = before[-1].link("self")
            archive = client.get(archive_url).content
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
            assert client.get(archive_url).content == archive
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


@pytest.mark.parametrize("server_db", ["sqlite", "postgresql"], indirect=True)
def test_workers_share_the_clock_and_resets(server_db: str) -> None:
    """Each worker mirrors the clock and the directory in memory: what one worker changes,
    every other serves at once (20 new connections spread over the workers)."""
    order_url = "/orders/v1/Companies(14146)/Orders"

    def seen(base: str, path: str) -> list[httpx.Response]:
        return [httpx.get(base + path, headers=AUTH, timeout=10) for _ in range(20)]

    with sandbox_process(server_db, WORKERS) as (_, base):
        advanced = httpx.post(base + "/_sandbox/clock", json={"advance_hours": 7}, headers=AUTH)
        assert advanced.status_code == 200
        assert {r.json()["offset_hours"] for r in seen(base, "/_sandbox/clock")} == {7}
        order = httpx.post(
            base + order_url, json={"EntityId": 14202, "OrderTypeId": 3}, headers=AUTH
        ).json()
        assert {r.status_code for r in seen(base, f"{order_url}({order['Id']})")} == {200}
        assert httpx.post(base + "/_sandbox/reset", headers=AUTH).status_code == 200
        assert {r.status_code for r in seen(base, f"{order_url}({order['Id']})")} == {404}
        assert {r.json()["offset_hours"] for r in seen(base, "/_sandbox/clock")} == {0}


def test_workers_stop_on_sigterm(tmp_path: Path) -> None:
    with sandbox_process(str(tmp_path / "stop.sqlite3"), WORKERS) as (process, base):
        assert httpx.get(base + "/_sandbox/info", timeout=10).status_code == 200
        process.terminate()
        assert process.wait(timeout=30) == 0
        assert refused(base)


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
