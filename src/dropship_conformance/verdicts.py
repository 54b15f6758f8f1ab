"""Verdicts per requirement: the link between a check, the catalogue and the report.

A test asks :class:`Expect` to judge each rule by its requirement id. A MUST that does not hold
ends the test as failed, with a message naming the id, what was expected and what came back; a
SHOULD that does not hold is recorded as a warning and the test goes on. The plugin reads the
recorded checks to build the requirement matrix, so a requirement counts as checked only when a
check really evaluated it. The level is the one the catalogue gives under the conformance classes
the target claims; a requirement of no claimed class is recorded as not claimed, never judged.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from dropship_conformance.catalogue import classes, requirement
from dropship_conformance.errors import ConformanceError


class Verdict(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    WARNED = "warned"
    SKIPPED = "skipped"
    NOT_CHECKED = "not checked"
    NOT_CLAIMED = "not claimed"


# How verdicts of several tests combine into one requirement verdict: the worst wins.
SEVERITY = [
    Verdict.FAILED,
    Verdict.WARNED,
    Verdict.PASSED,
    Verdict.SKIPPED,
    Verdict.NOT_CHECKED,
    Verdict.NOT_CLAIMED,
]


def all_classes() -> frozenset[str]:
    """Every conformance class: what a target claims unless told otherwise."""
    return frozenset(classes())


def combine(verdicts: list[Verdict]) -> Verdict:
    return min(verdicts, key=SEVERITY.index, default=Verdict.NOT_CHECKED)


class RequirementFailed(AssertionError, ConformanceError):
    """A MUST requirement does not hold; the message names it."""

    def __init__(self, requirement_id: str, message: str) -> None:
        super().__init__(message)
        self.requirement_id = requirement_id


@dataclass(frozen=True)
class Check:
    requirement_id: str
    verdict: Verdict
    message: str


@dataclass
class Expect:
    """Judges rules of one test by requirement id and keeps what it judged."""

    checks: list[Check] = field(default_factory=list)
    claims: frozenset[str] = field(default_factory=all_classes)

    def that(self, requirement_id: str, holds: bool, *, expected: str, found: str) -> bool:
        """Record whether ``requirement_id`` holds; a failed MUST raises, a failed SHOULD warns;
        a requirement of no claimed class is recorded as not claimed, whatever was seen."""
        rule = requirement(requirement_id)
        level = rule.level_in(self.claims)
        if level is None:
            message = f"{requirement_id}: not claimed (its classes: {', '.join(rule.classes)})"
            self.checks.append(Check(requirement_id, Verdict.NOT_CLAIMED, message))
            return holds
        if holds:
            self.checks.append(
                Check(requirement_id, Verdict.PASSED, f"{requirement_id}: {expected}")
            )
            return True
        message = (
            f"{requirement_id} ({level}) {rule.rule}\n  expected: {expected}\n  found: {found}"
        )
        if level == "MUST":
            self.checks.append(Check(requirement_id, Verdict.FAILED, message))
            raise RequirementFailed(requirement_id, message)
        self.checks.append(Check(requirement_id, Verdict.WARNED, message))
        return False

    def record(self, requirement_id: str, holds: bool, *, expected: str, found: str) -> bool:
        """``that`` without raising: a failed MUST is recorded and the caller goes on, so one
        verdict does not mask later ones (a long stateful run); :attr:`failed` tells at the end."""
        try:
            return self.that(requirement_id, holds, expected=expected, found=found)
        except RequirementFailed:
            return False

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.verdict is Verdict.FAILED]

    def all_hold(
        self, requirement_ids: tuple[str, ...], holds: bool, *, expected: str, found: str
    ) -> bool:
        """``that`` for several requirements one observation decides: every id gets its verdict
        before a failed MUST ends the test, so each is reported, not only the first."""
        failures = []
        for requirement_id in requirement_ids:
            try:
                self.that(requirement_id, holds, expected=expected, found=found)
            except RequirementFailed as failure:
                failures.append(failure)
        if len(failures) == 1:
            raise failures[0]
        if failures:
            ids = ", ".join(f.requirement_id for f in failures)
            raise RequirementFailed(failures[0].requirement_id, f"[{ids}] " + str(failures[0]))
        return holds

    def equal(self, requirement_id: str, found: object, expected: object, *, what: str) -> bool:
        """Shorthand for ``that`` comparing two values by equality (JSON by value)."""
        return self.that(
            requirement_id,
            found == expected,
            expected=f"{what} = {expected!r}",
            found=f"{what} = {found!r}",
        )

    def none_of(self, requirement_id: str, problems: list[str], *, expected: str) -> bool:
        """``requirement_id`` holds when ``problems`` is empty; every problem is shown."""
        return self.that(
            requirement_id, not problems, expected=expected, found="; ".join(problems) or "-"
        )

    def verdicts(self) -> dict[str, Verdict]:
        """The verdict of each requirement this test judged."""
        by_id: dict[str, list[Verdict]] = {}
        for check in self.checks:
            by_id.setdefault(check.requirement_id, []).append(check.verdict)
        return {rid: combine(found) for rid, found in by_id.items()}
