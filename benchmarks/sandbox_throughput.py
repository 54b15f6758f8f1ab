"""Throughput and latency of the reference sandbox (a measurement, not a test: no thresholds).

For each database (SQLite file; PostgreSQL in a throw-away server started from the local
binaries, fsync on) and each number of sandbox processes (``--sandbox-workers``), starts
``dropship-conformance sandbox --workers N`` on a free port, fills the feed, then runs the
load generator in several processes (``--generators``, the clients split between them,
httpx, one keep-alive connection per client thread) against two operations:

* GET the current feed (getNotifications), the feed holding archives already;
* PUT OrderStatusUpdate (putOrderStatusUpdate), each client updating its own order, so
  every request is a committed write plus a feed event.

Prints one table row per (database, sandbox processes, scenario): requests/s, p50/p99
latency, errors, and the generator's own CPU share of the machine (when it nears 100%,
the generator is the bottleneck, not the sandbox).

    python benchmarks/sandbox_throughput.py [--db sqlite postgresql] [--sandbox-workers 1 2]
        [--clients 8] [--generators 2] [--duration 10] [--sync normal|full]
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from dropship_conformance.sandbox.pgcluster import find_bin_dir, throwaway_cluster

TOKEN = "sandbox-token"
SUPPLIER = 60455


def start_sandbox(db: str, sync: str, workers: int) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dropship_conformance.cli",
            "sandbox",
            "--control",
            "--port",
            "0",
            "--db",
            str(db),
            "--log-level",
            "warning",
            "--sync",
            sync,
            "--workers",
            str(workers),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        match = re.search(r"Dropship \(Supplier Orders\) API: (http://\S+)/dropship/v1", line)
        if match:
            return process, match.group(1)
    process.kill()
    raise SystemExit("the sandbox did not start")


def client(base: str) -> httpx.Client:
    transport = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    return httpx.Client(
        base_url=base,
        headers={"Authorization": f"Bearer {TOKEN}"},
        transport=transport,
        timeout=30,
    )


def _worker(
    base: str, scenario: str, order_id: str, stop_at: float, out: list[tuple[float, int]]
) -> None:
    with client(base) as session:
        feed = f"/dropship/v1/Suppliers({SUPPLIER})/Notifications"
        update = f"/dropship/v1/Suppliers({SUPPLIER})/Orders({order_id})/OrderStatusUpdate"
        n = 0
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            if scenario == "feed":
                response = session.get(feed, headers={"Accept": "application/atom+xml"})
                ok = response.status_code == 200
            else:
                n += 1
                response = session.put(
                    update, json={"Id": order_id, "Status": "Ordered", "Message": f"bench {n}"}
                )
                ok = response.status_code == 202
            out.append((time.perf_counter() - started, 1 if ok else 0))


def load_generator(
    base: str, scenario: str, order_ids: list[str], duration: float, queue: Any
) -> None:
    """Runs in its own process: N threads for ``duration`` seconds; reports latencies."""
    results: list[list[tuple[float, int]]] = [[] for _ in order_ids]
    cpu_before = time.process_time()
    stop_at = time.perf_counter() + duration
    threads = [
        threading.Thread(target=_worker, args=(base, scenario, oid, stop_at, results[i]))
        for i, oid in enumerate(order_ids)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    samples = [sample for chunk in results for sample in chunk]
    cpu = time.process_time() - cpu_before
    queue.put((elapsed, cpu, [s[0] for s in samples], sum(1 for s in samples if not s[1])))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(
    base: str, scenario: str, order_ids: list[str], duration: float, generators: int
) -> tuple[float, list[float], int, float]:
    """(requests/s, latencies, errors, generator CPU share of the machine) of one scenario,
    the clients split over ``generators`` processes."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    shares = [order_ids[i::generators] for i in range(generators)]
    processes = [
        context.Process(target=load_generator, args=(base, scenario, ids, duration, queue))
        for ids in shares
        if ids
    ]
    for process in processes:
        process.start()
    results = [queue.get(timeout=duration + 120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    elapsed = max(r[0] for r in results)
    latencies = [latency for r in results for latency in r[2]]
    cpu_share = sum(r[1] for r in results) / (elapsed * multiprocessing.cpu_count())
    return len(latencies) / elapsed, latencies, sum(r[3] for r in results), cpu_share


def run_one(db: str, label: str, workers: int, args: argparse.Namespace) -> list[tuple[str, ...]]:
    process, base = start_sandbox(db, args.sync, workers)
    rows = []
    try:
        with client(base) as session:
            session.post(
                f"/_sandbox/suppliers/{SUPPLIER}/events", json={"count": args.archive_events}
            ).raise_for_status()
            order_ids = [
                session.post(f"/_sandbox/suppliers/{SUPPLIER}/orders", json={}).json()["order-id"]
                for _ in range(args.clients)
            ]
        for scenario, name in (("feed", "GET current feed"), ("update", "PUT OrderStatusUpdate")):
            rate, latencies, errors, cpu_share = measure(
                base, scenario, order_ids, args.duration, args.generators
            )
            rows.append(
                (
                    label,
                    str(workers),
                    name,
                    f"{rate:.1f}",
                    f"{percentile(latencies, 0.50) * 1000:.2f}",
                    f"{percentile(latencies, 0.99) * 1000:.2f}",
                    f"{statistics.fmean(latencies) * 1000:.2f}",
                    str(errors),
                    f"{cpu_share * 100:.0f}%",
                )
            )
            print("  ".join(rows[-1]), flush=True)
    finally:
        process.terminate()
        process.wait(timeout=30)
    return rows


@contextlib.contextmanager
def databases(names: list[str]) -> Iterator[list[tuple[str, Callable[[], str]]]]:
    """(label, a function making a fresh database) per name; PostgreSQL in a throw-away
    server (fsync on, as a deployment would run it), skipped without its binaries."""
    with (
        tempfile.TemporaryDirectory(prefix="sandbox-bench-") as folder,
        contextlib.ExitStack() as stack,
    ):
        made: list[tuple[str, Callable[[], str]]] = []
        counter = iter(range(1_000_000))
        for name in names:
            if name == "sqlite":
                made.append(("sqlite", lambda: str(Path(folder) / f"bench{next(counter)}.sqlite3")))
                continue
            bin_dir = find_bin_dir()
            if bin_dir is None:
                print("postgresql: skipped, no PostgreSQL binaries (apt-get install postgresql)")
                continue
            cluster = stack.enter_context(throwaway_cluster(bin_dir, durable=True))
            made.append(("postgresql", cluster.new_database))
        yield made


def run(args: argparse.Namespace) -> None:
    print(
        f"{args.clients} clients in {args.generators} generator processes, "
        f"{args.duration:.0f} s per scenario, {args.archive_events} events in the feed "
        f"beforehand, SQLite --sync {args.sync}, CPUs: {multiprocessing.cpu_count()}"
    )
    header = (
        "db",
        "procs",
        "scenario",
        "req/s",
        "p50 ms",
        "p99 ms",
        "mean ms",
        "errors",
        "gen CPU",
    )
    print("  ".join(header), flush=True)
    rows = []
    with databases(args.db) as made:
        for label, fresh in made:
            for workers in args.sandbox_workers:
                rows += run_one(fresh(), label, workers, args)
    print("\n| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"]
    )
    parser.add_argument(
        "--sandbox-workers",
        nargs="+",
        type=int,
        default=[1, max(2, multiprocessing.cpu_count())],
        help="sandbox processes to measure (default 1 and the CPU count)",
    )
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument(
        "--generators", type=int, default=2, help="load generator processes (default 2)"
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per scenario")
    parser.add_argument(
        "--archive-events", type=int, default=1000, help="events in the feed before measuring"
    )
    parser.add_argument(
        "--sync", choices=["normal", "full"], default="normal", help="the sandbox's --sync"
    )
    run(parser.parse_args())


if __name__ == "__main__":
    main()
