"""Throughput and latency of the reference sandbox (a measurement, not a test: no thresholds).

Starts ``dropship-conformance sandbox`` in a child process on a free port with a fresh SQLite
file, then runs a load generator in a second child process (httpx, N worker threads, one
keep-alive connection each) against two operations:

* GET the current feed (getNotifications), the feed holding archives already;
* PUT OrderStatusUpdate (putOrderStatusUpdate), each worker updating its own order, so
  every request is a committed write plus a feed event.

Prints requests/s and p50/p99 latency per scenario.

    python benchmarks/sandbox_throughput.py [--workers 8] [--duration 10] [--sync normal|full]
"""

from __future__ import annotations

import argparse
import multiprocessing
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

TOKEN = "sandbox-token"
SUPPLIER = 60455


def start_sandbox(db: Path, sync: str) -> tuple[subprocess.Popen[str], str]:
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
    queue.put((elapsed, [s[0] for s in samples], sum(1 for s in samples if not s[1])))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run(workers: int, duration: float, archive_events: int, sync: str) -> None:
    with tempfile.TemporaryDirectory(prefix="sandbox-bench-") as folder:
        process, base = start_sandbox(Path(folder) / "bench.sqlite3", sync)
        try:
            with client(base) as session:
                session.post(
                    f"/_sandbox/suppliers/{SUPPLIER}/events", json={"count": archive_events}
                ).raise_for_status()
                order_ids = [
                    session.post(f"/_sandbox/suppliers/{SUPPLIER}/orders", json={}).json()[
                        "order-id"
                    ]
                    for _ in range(workers)
                ]
            print(
                f"sandbox {base} (--sync {sync}), {workers} workers, "
                f"{duration:.0f} s per scenario, "
                f"{archive_events} events in the feed beforehand, "
                f"CPUs: {multiprocessing.cpu_count()}"
            )
            context = multiprocessing.get_context("spawn")
            for scenario, label in (
                ("feed", "GET current feed"),
                ("update", "PUT OrderStatusUpdate"),
            ):
                queue = context.Queue()
                generator = context.Process(
                    target=load_generator, args=(base, scenario, order_ids, duration, queue)
                )
                generator.start()
                elapsed, latencies, errors = queue.get()
                generator.join()
                rate = len(latencies) / elapsed
                print(
                    f"{label:<24} {len(latencies):>7} requests  {rate:8.1f} req/s"
                    f"  p50 {percentile(latencies, 0.50) * 1000:6.2f} ms"
                    f"  p99 {percentile(latencies, 0.99) * 1000:6.2f} ms"
                    f"  mean {statistics.fmean(latencies) * 1000:6.2f} ms  errors {errors}"
                )
        finally:
            process.terminate()
            process.wait(timeout=15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per scenario")
    parser.add_argument(
        "--archive-events", type=int, default=1000, help="events in the feed before measuring"
    )
    parser.add_argument(
        "--sync", choices=["normal", "full"], default="normal", help="the sandbox's --sync"
    )
    args = parser.parse_args()
    run(args.workers, args.duration, args.archive_events, args.sync)


if __name__ == "__main__":
    main()
