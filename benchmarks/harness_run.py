"""Measure the harness: a full run's wall time against the embedded sandbox (serial, and with
``-n`` workers when ``--parallel`` is given), and the archive traversal's time and peak memory
at 1,000, 10,000 and 100,000 events.

The sandbox runs in a separate process (``dropship-conformance sandbox``) so the traversal's
memory figure is the harness's own (tracemalloc peak during the walk). Prints figures only; no
thresholds: these machines are shared and noisy.

    python benchmarks/harness_run.py [--events 1000 10000 100000] [--skip-full-run]
                                     [--parallel auto]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import httpx

from dropship_conformance.client import DropshipClient, HttpSession, Recorder
from dropship_conformance.feed.walk import walk

TOKEN = "sandbox-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def full_run(*options: str) -> float:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        cpu = os.times()
        done = subprocess.run(
            [sys.executable, "-m", "dropship_conformance.cli", "run", *options],
            cwd=folder,
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.perf_counter() - started
        used = os.times()
    cpu_seconds = (
        used.children_user + used.children_system - cpu.children_user - cpu.children_system
    )
    print(
        f"full run against the embedded sandbox {' '.join(options) or '(serial)'}: "
        f"{elapsed:.1f} s wall, {cpu_seconds:.1f} s CPU (exit {done.returncode})"
    )
    return elapsed


def traversal(events: int) -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dropship_conformance.cli",
                "sandbox",
                "--control",
                "--port",
                str(port),
                "--db",
                str(Path(folder) / "bench.sqlite3"),
                "--log-level",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
        )
        try:
            root = f"http://127.0.0.1:{port}"
            for _ in range(200):
                try:
                    httpx.get(f"{root}/_sandbox/info", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.05)
            started = time.perf_counter()
            httpx.post(
                f"{root}/_sandbox/suppliers/60455/events", json={"count": events}, timeout=600
            )
            seeded = time.perf_counter() - started
            recorder = Recorder(secrets=(TOKEN,))
            session = HttpSession(recorder, token=TOKEN, origins=(root,), timeout=60)
            client = DropshipClient(session, f"{root}/dropship/v1", 60455)

            def fetch(url: str):
                reply = client.follow(url)
                recorder.take()  # a benchmark keeps no exchanges
                return reply

            tracemalloc.start()
            started = time.perf_counter()
            result = walk(fetch, f"{root}/dropship/v1/Suppliers(60455)/Notifications")
            elapsed = time.perf_counter() - started
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            session.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    problems = sum(len(v) for v in result.problems.values())
    print(
        f"archive traversal, {events:>7} events: {result.pages:>5} pages, "
        f"{result.entries:>7} entries, "
        f"{elapsed:6.1f} s walk ({result.pages * 2 / elapsed:5.0f} pages/s both ways), "
        f"peak {peak / 1e6:6.1f} MB, {problems} problems; seeding took {seeded:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--skip-full-run", action="store_true")
    parser.add_argument("--parallel", metavar="N", help="also a full run with -n N (e.g. auto)")
    args = parser.parse_args()
    if not args.skip_full_run:
        serial = full_run()
        if args.parallel:
            parallel = full_run("-n", args.parallel)
            print(f"serial / -n {args.parallel}: {serial / parallel:.2f}x")
    for events in args.events:
        traversal(events)


if __name__ == "__main__":
    main()
