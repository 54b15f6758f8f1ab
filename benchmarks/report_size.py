"""Measure the size of the HTML report (and the console's length) of a whole run: against the
embedded sandbox (conformant) and against sandboxes behind faults that break what every suite
reads. The page must stay small whatever the target answers (README, "The report").

Each run is ``dropship-conformance run`` in a separate process, as a user runs it. Prints
figures only, no thresholds.

    python benchmarks/report_size.py [FAULT ...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dropship_conformance.faults.catalogue import FAULTS
from dropship_conformance.faults.kill import faulty_sandbox

SHARED = ("feed-foreign-payload-namespace", "feed-entry-id-not-uuid")
RUN_TIMEOUT = 1200


def measure(name: str, urls: list[str], folder: Path) -> None:
    report = folder / f"{name}.html"
    command = [sys.executable, "-m", "dropship_conformance.cli", "run", *urls]
    command += ["--report", str(report), "--junitxml", str(folder / f"{name}.xml")]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=folder)
    seconds = time.monotonic() - started
    size = report.stat().st_size if report.is_file() else 0
    lines = len(done.stdout.splitlines()) + len(done.stderr.splitlines())
    print(f"{name:<40} {done.returncode:>4} {seconds:6.1f} {size / 1e6:9.2f} {lines:>8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("faults", nargs="*", default=list(SHARED))
    parser.add_argument("--keep", metavar="DIR", help="write the reports here (default: discard)")
    args = parser.parse_args()
    by_name = {fault.name: fault for fault in FAULTS}
    print(f"{'run (every suite)':<40} {'exit':>4} {'s':>6} {'HTML MB':>9} {'console':>8}")
    with tempfile.TemporaryDirectory(prefix="report-size-") as scratch:
        folder = args.keep or scratch
        Path(folder).mkdir(parents=True, exist_ok=True)
        measure("embedded-sandbox", [], Path(folder))
        for name in args.faults:
            with faulty_sandbox(by_name[name]) as root:
                urls = [
                    "--dropship-url",
                    f"{root}/dropship/v1",
                    "--orders-url",
                    f"{root}/orders/v1",
                ]
                measure(name, urls, Path(folder))


if __name__ == "__main__":
    main()
