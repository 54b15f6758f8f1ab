"""Measure how long a whole run (every suite) takes against a target with a shared fault, next
to a conformant run: a fault that breaks what every suite reads (the payload namespace, the
entry ids) must not make the run many times slower than a conformant one.

Each run is ``dropship-conformance faults``'s own: a fresh sandbox behind the fault injector,
the harness in a separate process against its URLs. Prints figures only, no thresholds.

    python benchmarks/fault_runs.py [FAULT ...]
"""

from __future__ import annotations

import argparse

from dropship_conformance.faults.catalogue import FAULTS
from dropship_conformance.faults.kill import attempt

SHARED = ("feed-foreign-payload-namespace", "feed-entry-id-not-uuid", "feed-entry-id-reused")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("faults", nargs="*", default=list(SHARED))
    args = parser.parse_args()
    by_name = {fault.name: fault for fault in FAULTS}
    print(f"{'fault (every suite)':<40} {'exit':>4} {'s':>6}  failed requirements")
    for fault in [None, *(by_name[name] for name in args.faults)]:
        outcome = attempt(fault, suites=())
        failed = ", ".join(sorted(outcome.failed)) or "-"
        print(f"{outcome.name:<40} {outcome.exit_code:>4} {outcome.seconds:6.1f}  {failed}")


if __name__ == "__main__":
    main()
