"""The run's results as JSON (``reports/conformance.json``), and the diff of two of them.

The HTML report is for a person; this file is for a pipeline: which target, which versions,
whether the run was complete, and each requirement's verdict with its evidence (the tests that
decided it and the ids of the exchanges those tests made, the ``_id`` of each HAR entry).
Its shape is ``specs/conformance-results.schema.json``; ``diff`` compares two runs and tells a
CI gate whether anything got worse.
"""

from __future__ import annotations

import json
import platform
import sys
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, cast

import jsonschema  # type: ignore[import-untyped]  # jsonschema ships no type stubs

from dropship_conformance import __version__
from dropship_conformance.catalogue import Requirement
from dropship_conformance.errors import ConformanceError
from dropship_conformance.specs import spec_path
from dropship_conformance.verdicts import Verdict

FORMAT = "dropship-conformance-results"
FORMAT_VERSION = 1
SCHEMA_FILE = "conformance-results.schema.json"
# A decision's message quotes what the target sent; past this many characters it is cut (the
# HTML report and the HAR file hold the rest), so one huge body cannot bloat the file.
MESSAGE_CHARS = 2000
# How good a verdict is, for a diff: a change to a lower rank is a regression. Skipped, not
# checked and not claimed are equal: none says anything about the target.
RANK = {
    Verdict.PASSED: 3,
    Verdict.WARNED: 2,
    Verdict.SKIPPED: 1,
    Verdict.NOT_CHECKED: 1,
    Verdict.NOT_CLAIMED: 1,
    Verdict.FAILED: 0,
}


@dataclass(frozen=True)
class Evidence:
    """One test's decision on a requirement and the exchanges that test made."""

    test: str
    verdict: Verdict
    message: str
    exchanges: tuple[str, ...]


def _cut(message: str) -> str:
    if len(message) <= MESSAGE_CHARS:
        return message
    return message[:MESSAGE_CHARS] + f" ... ({len(message) - MESSAGE_CHARS} more characters)"


def requirement_entry(
    requirement: Requirement, verdict: Verdict, evidence: list[Evidence]
) -> dict[str, Any]:
    return {
        "id": requirement.id,
        "level": requirement.level,
        "rule": requirement.rule,
        "sources": [{"document": s.document, "section": s.section} for s in requirement.sources],
        "verdict": verdict.value,
        "evidence": [
            {
                "test": e.test,
                "verdict": e.verdict.value,
                "message": _cut(e.message),
                "exchanges": list(e.exchanges),
            }
            for e in evidence
        ],
    }


def document(
    *,
    target: Mapping[str, Any],
    started: datetime,
    finished: datetime,
    incomplete: str,
    rows: list[tuple[Requirement, Verdict, list[Evidence]]],
    tests: Mapping[str, int],
    classes: Mapping[str, Verdict],
    verdict: tuple[str, str],
    in_scope: Mapping[str, int],
) -> dict[str, Any]:
    """The results document of one run (see ``specs/conformance-results.schema.json``).

    ``verdict`` (word, reason) and ``in_scope`` (requirement counts by bucket) come from
    ``report.tally``/``report.verdict_of``, so the JSON, the HTML page and the console count
    the same way.
    """
    counts = Counter(verdict for _, verdict, _ in rows)
    requirement_counts = {v.value: counts.get(v, 0) for v in Verdict}
    requirement_counts["total"] = len(rows)
    test_counts = {name: tests.get(name, 0) for name in ("passed", "failed", "skipped")}
    test_counts["total"] = sum(test_counts.values())
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "harness": {
            "name": "dropship-conformance",
            "version": __version__,
            "python": platform.python_version(),
        },
        "target": dict(target),
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "verdict": verdict[0],
        "verdict_reason": verdict[1],
        "complete": not incomplete,
        "incomplete_reason": incomplete or None,
        "classes": {name: verdict.value for name, verdict in classes.items()},
        "counts": {
            "requirements": requirement_counts,
            "requirements_in_scope": dict(in_scope),
            "tests": test_counts,
        },
        "requirements": [requirement_entry(r, v, e) for r, v, e in rows],
    }


@cache
def schema() -> dict[str, Any]:
    with spec_path(SCHEMA_FILE).open(encoding="utf-8") as handle:
        parsed: dict[str, Any] = json.load(handle)
    return parsed


class Unreadable(ConformanceError, ValueError):
    """A results file that cannot be compared; the message says which and why, in one line."""


def load(path: Path) -> dict[str, Any]:
    """A results file, read and checked against the schema."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise Unreadable(f"{path}: cannot read: {error.strerror or error}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise Unreadable(f"{path}: not JSON: {error}") from None
    problem = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema()).iter_errors(data)
    )
    if problem is not None:
        where = "/".join(str(part) for part in problem.absolute_path) or "the top level"
        raise Unreadable(f"{path}: not a conformance results file: at {where}: {problem.message}")
    return cast(dict[str, Any], data)  # the schema just checked requires an object


@dataclass(frozen=True)
class Change:
    requirement: str
    level: str
    old: str
    new: str

    @property
    def regression(self) -> bool:
        return RANK[Verdict(self.new)] < RANK[Verdict(self.old)]

    @property
    def improvement(self) -> bool:
        return RANK[Verdict(self.new)] > RANK[Verdict(self.old)]

    def line(self) -> str:
        return f"  {self.requirement} ({self.level}): {self.old} -> {self.new}"


ABSENT = "absent"


def changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Requirements whose verdict differs between two results documents, in catalogue order."""
    before = {r["id"]: r for r in old["requirements"]}
    after = {r["id"]: r for r in new["requirements"]}
    ordered = list(after) + [rid for rid in before if rid not in after]
    found = []
    for rid in ordered:
        was, now = before.get(rid), after.get(rid)
        old_verdict = was["verdict"] if was else ABSENT
        new_verdict = now["verdict"] if now else ABSENT
        if old_verdict != new_verdict:
            level = (now or was or {}).get("level", "")
            found.append(Change(rid, level, old_verdict, new_verdict))
    return found


def _kind(change: Change) -> str:
    if ABSENT in (change.old, change.new):
        return "only in one run (the catalogue changed)"
    if change.regression:
        return "regressions"
    return "improvements" if change.improvement else "other changes (no better, no worse)"


SECTIONS = (
    "regressions",
    "improvements",
    "other changes (no better, no worse)",
    "only in one run (the catalogue changed)",
)


def diff_text(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[str, bool]:
    """What a reader of a CI log wants: the changed requirements, regressions first; and
    whether there was a regression."""
    found = changes(old, new)
    grouped = {section: [c for c in found if _kind(c) == section] for section in SECTIONS}
    # The worst first: the failed requirement, not the ones its failure left not checked.
    grouped["regressions"].sort(key=lambda change: RANK[Verdict(change.new)])
    lines = [
        f"old: {old['finished']} {old['verdict']} ({_target(old)})",
        f"new: {new['finished']} {new['verdict']} ({_target(new)})",
    ]
    if not found:
        lines.append("no requirement changed verdict")
    for section, members in grouped.items():
        if members:
            lines.append(f"{section} ({len(members)}):")
            lines += [change.line() for change in members]
    return "\n".join(lines), bool(grouped["regressions"])


def _target(data: Mapping[str, Any]) -> str:
    target = data["target"]
    return f"dropship {target.get('dropship_url')}, orders {target.get('orders_url')}"


def add_parser(sub: Any) -> None:
    diff = sub.add_parser(
        "diff",
        help="compare two runs' JSON results; exit 1 when a requirement got worse",
        description="Print the requirements whose verdict changed between OLD and NEW "
        "(conformance.json of two runs), regressions first (passed -> warned, skipped, not "
        "checked or failed; warned -> ... failed), then improvements. Exit code 1 on a "
        "regression, 0 otherwise, 2 when a file cannot be read.",
    )
    diff.add_argument("old", type=Path, help="results of the earlier run (OLD.json)")
    diff.add_argument("new", type=Path, help="results of the later run (NEW.json)")
    diff.set_defaults(handler=diff_command)


def diff_command(args: Any) -> int:
    try:
        old, new = load(args.old), load(args.new)
    except Unreadable as error:
        print(f"dropship-conformance diff: {error}", file=sys.stderr)
        return 2
    text, regressed = diff_text(old, new)
    print(text)
    return 1 if regressed else 0
