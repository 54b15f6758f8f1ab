"""Helpers the client check modules share."""

from __future__ import annotations

from dropship_conformance.clientcheck.traffic import Finding, Record
from dropship_conformance.verdicts import Expect

# Problems spelled out per check; the rest are counted.
LISTED_PROBLEMS = 25


def judge(expect: Expect, requirement: str, problems: list[str], *, expected: str) -> bool:
    """``expect.that`` over a list of problems, one per line (bounded)."""
    more = len(problems) - LISTED_PROBLEMS
    lines = problems[:LISTED_PROBLEMS] + ([f"... and {more} more"] if more > 0 else [])
    found = "".join(f"\n    - {line}" for line in lines) if lines else "-"
    return expect.that(requirement, not problems, expected=expected, found=found)


def finding_records(findings: list[Finding]) -> list[Record]:
    """The requests the findings quote, each once, in the order quoted."""
    seen: dict[int, Record] = {}
    for finding in findings:
        for record in finding.records:
            seen.setdefault(record.seq, record)
    return list(seen.values())
