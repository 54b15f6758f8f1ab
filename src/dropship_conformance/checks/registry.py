"""One registry of checks keyed by requirement id, as schemathesis registers its checks.

A check is a small function that judges one observation and returns an :class:`Observation`
(did the rule hold, what was expected, what was found, in words). ``@check(ID)`` registers it
under the requirement ids of ``specs/requirements.yaml`` it decides. The suites set the
situation up and call the registered check with the :class:`~dropship_conformance.verdicts.Expect`
of the test; the level (MUST fails, SHOULD warns), the conformance class and the rule's text come
from the catalogue, never from the check or the suite.

Checks of whole feed documents (checks/feed.py, checks/archive.py, listed by role in
feed/rules.py) and of the archive walk (feed/walk.py) yield violations rather than one
observation; they register here too, through :func:`register`, so :func:`registered_ids` is
every requirement the harness can judge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, ParamSpec

from dropship_conformance.catalogue import catalogue
from dropship_conformance.verdicts import Expect, RequirementFailed

P = ParamSpec("P")


@dataclass(frozen=True)
class Observation:
    """What one check saw: whether the rule held, what was expected and what was found."""

    holds: bool
    expected: str
    found: str = "-"


def none_of(problems: list[str], expected: str) -> Observation:
    """An observation that holds when there is no problem; every problem is shown."""
    return Observation(not problems, expected, "; ".join(problems) or "-")


@dataclass(frozen=True)
class Entry:
    """One registered check: the requirement it judges and where the check lives."""

    requirement_id: str
    name: str
    module: str


REGISTRY: dict[str, list[Entry]] = {}


def register(requirement_ids: tuple[str, ...], function: Callable[..., object]) -> None:
    """Record ``function`` as a check of ``requirement_ids``; an id the catalogue does not know
    is a programming error, raised at import rather than found in a report."""
    known = catalogue()
    for requirement_id in requirement_ids:
        if requirement_id not in known:
            raise KeyError(f"{function.__qualname__}: {requirement_id} is not in the catalogue")
        entry = Entry(requirement_id, function.__qualname__, function.__module__)
        REGISTRY.setdefault(requirement_id, []).append(entry)


@dataclass(frozen=True)
class Check(Generic[P]):
    """A registered check: call it with the test's ``Expect`` and the observation's parts."""

    requirement_ids: tuple[str, ...]
    judge: Callable[P, Observation]

    def __call__(self, expect: Expect, *args: P.args, **kwargs: P.kwargs) -> bool:
        """Judge and record the verdict; a failed MUST ends the test (every id gets its verdict
        first), a failed SHOULD warns and returns False."""
        seen = self.judge(*args, **kwargs)
        return expect.all_hold(
            self.requirement_ids, seen.holds, expected=seen.expected, found=seen.found
        )

    def under(self, *requirement_ids: str) -> Check[P]:
        """This check judging only ``requirement_ids`` (a table row's rule), which must be
        among those it is registered under, so the registry still names every check of an id."""
        unknown = set(requirement_ids) - set(self.requirement_ids)
        if unknown:
            raise KeyError(f"{self.judge.__qualname__} is not registered under {sorted(unknown)}")
        return Check(requirement_ids, self.judge)

    def record(self, expect: Expect, *args: P.args, **kwargs: P.kwargs) -> bool:
        """Judge and record without ending the test: a long stateful run goes on after a failed
        MUST so one verdict does not mask later ones (``expect.failed`` tells at the end)."""
        try:
            return self(expect, *args, **kwargs)
        except RequirementFailed:
            return False


def check(*requirement_ids: str) -> Callable[[Callable[P, Observation]], Check[P]]:
    """Register the decorated function as the check of ``requirement_ids``."""

    def decorate(judge: Callable[P, Observation]) -> Check[P]:
        register(requirement_ids, judge)
        return Check(requirement_ids, judge)

    return decorate


def registered_ids() -> set[str]:
    """Every requirement id some check is registered under (importing every check module)."""
    from dropship_conformance.checks import load_all

    load_all()
    return set(REGISTRY)
