"""The `dropship-conformance` command line."""

import sys


def main(argv: list[str] | None = None) -> int:
    print("dropship-conformance: no command is available yet", file=sys.stderr)
    return 2
