"""Measure the archive walk against a plain fetch-and-parse loop over the same pages.

The sandbox runs in a separate process (``dropship-conformance sandbox``) seeded with N events
for supplier 60455. In the same run, over the same pages (current -> prev-archive ... -> oldest
-> next-archive ... -> current, the pages the walk fetches):

- the plain loop: GET each page and parse it safely (``parse_xml`` + the Atom model, to find
  the next link), judging nothing;
- the walk: :func:`dropship_conformance.feed.walk.walk`, every page judged.

A first plain pass fills the sandbox's page cache and is printed as the cold figure; the warm
loop and the walk then meet the same cache. The walk's peak memory (tracemalloc) is measured in
a separate walk, since tracing slows Python down. Prints figures only, no thresholds.

    python benchmarks/archive_walk.py [--events 1000 10000 100000] [--no-memory]
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urljoin

import httpx

from dropship_conformance.client import DropshipClient, HttpSession, Recorder, Reply
from dropship_conformance.feed.atom import read_feed_root
from dropship_conformance.feed.walk import walk
from dropship_conformance.feed.xmlsafe import parse_xml

TOKEN = "sandbox-token"
SUPPLIER = 60455
START_SECONDS = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def sandbox(folder: str) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "dropship_conformance.cli", "sandbox", "--control"]
    command += ["--port", str(port), "--db", str(Path(folder) / "bench.sqlite3")]
    server = subprocess.Popen([*command, "--log-level", "warning"], stdout=subprocess.DEVNULL)
    root = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                httpx.get(f"{root}/_sandbox/info", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"the sandbox did not start in {START_SECONDS:g} s") from None
                time.sleep(0.05)
        yield root
    finally:
        server.terminate()
        server.wait(timeout=10)


def plain_loop(fetch: Callable[[str], Reply], current: str) -> int:
    """Fetch and parse the walk's pages, back through prev-archive and forward again."""
    pages, url, rel = 0, current, "prev-archive"
    while True:
        reply = fetch(url)
        document = read_feed_root(parse_xml(reply.content))
        pages += 1
        link = document.link(rel)
        if link is None and rel == "prev-archive":
            rel, link = "next-archive", document.link("next-archive")
        if link is None or (rel == "next-archive" and document.link("next-archive") is None):
            return pages
        url = urljoin(url, link)


def measure(events: int, memory: bool) -> None:
    with tempfile.TemporaryDirectory() as folder, sandbox(folder) as root:
        started = time.perf_counter()
        httpx.post(
            f"{root}/_sandbox/suppliers/{SUPPLIER}/events", json={"count": events}, timeout=900
        )
        seeded = time.perf_counter() - started
        recorder = Recorder(secrets=(TOKEN,))
        session = HttpSession(recorder, token=TOKEN, origins=(root,), timeout=60)
        client = DropshipClient(session, f"{root}/dropship/v1", SUPPLIER)

        def fetch(url: str) -> Reply:
            reply = client.follow(url)
            recorder.take()  # a benchmark keeps no exchanges
            return reply

        current = f"{root}/dropship/v1/Suppliers({SUPPLIER})/Notifications"
        timings = {}
        for name in ("cold loop", "warm loop"):
            started = time.perf_counter()
            fetched = plain_loop(fetch, current)
            timings[name] = time.perf_counter() - started
        started = time.perf_counter()
        result = walk(fetch, current)
        timings["walk"] = time.perf_counter() - started
        peak = None
        if memory:
            tracemalloc.start()
            walk(fetch, current)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        session.close()
    problems = sum(len(v) for v in result.problems.values())
    print(
        f"{events:>7} events, {fetched:>5} pages fetched both ways (seeding {seeded:.0f} s): "
        f"cold loop {timings['cold loop']:6.1f} s, warm loop {timings['warm loop']:6.1f} s, "
        f"walk {timings['walk']:6.1f} s ({result.pages} pages judged, {problems} problems), "
        f"walk/warm loop {timings['walk'] / timings['warm loop']:.2f}x"
        + (f", walk peak {peak / 1e6:.1f} MB" if peak is not None else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc walk")
    args = parser.parse_args()
    for events in args.events:
        measure(events, not args.no_memory)


if __name__ == "__main__":
    main()
