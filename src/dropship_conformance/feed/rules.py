"""The registry of feed document rules and its entry points: what one document alone shows.

A rule is a small function registered with :func:`check` under one requirement id of
specs/requirements.yaml (in the spirit of schemathesis checks), for the roles it applies to. It
yields zero or more :class:`Violation` objects whose message says what was expected and what was
found. Whether a violation fails a run (MUST) or warns (SHOULD) is not decided here: the level
lives in specs/requirements.yaml and is joined on the requirement id. The rules themselves are
with the other checks (:mod:`dropship_conformance.checks.feed`, :mod:`.archive`), and
:func:`check` registers each in :mod:`dropship_conformance.checks.registry` too.

Rules that need more than one document belong to the archive walker.
"""

from __future__ import annotations

import bisect
import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Literal

from lxml import etree  # type: ignore[import-untyped]  # lxml ships no type stubs

from dropship_conformance.catalogue import catalogue
from dropship_conformance.checks import ids
from dropship_conformance.checks.registry import Check as Judging
from dropship_conformance.checks.registry import Observation, register
from dropship_conformance.feed.atom import FeedDocument, NotAnAtomFeed, read_feed_root
from dropship_conformance.feed.xmlsafe import DEFAULT_MAX_BYTES, UnsafeOrInvalidXML, parse_xml
from dropship_conformance.verdicts import Expect

__all__ = [
    "ARCHIVE_ENTRIES",
    "CHECKS",
    "MAX_ENTRIES",
    "Check",
    "DocumentContext",
    "Role",
    "Violation",
    "check_document",
    "check_root",
    "judge",
    "registered_ids",
    "rules_for",
]

Role = Literal["current", "archive"]
ROLES: tuple[Role, ...] = ("current", "archive")
# The modules holding the rules; imported when the rules are first wanted, since they import
# this registry (an import here at the top would be circular).
RULE_MODULES = ("dropship_conformance.checks.feed", "dropship_conformance.checks.archive")

#: 000 "Order Feed", 001 "Order Notifications Feed": "Each page of the feed will contain
#: up to 50 events".
MAX_ENTRIES = 50
#: 002 Step 2: "If a page has 50 events and a new event occurs, then those 50 events are
#: pushed into an archived page" -- so an archive page holds exactly 50; 001 only says "up
#: to 50", so a shorter archive is warned (DS-ARCH-011), not failed (DEV-ARCHIVE-SIZE).
ARCHIVE_ENTRIES = 50


@dataclass(frozen=True)
class Violation:
    """One broken requirement: ``message`` says what was expected and what was found."""

    requirement_id: str
    message: str


@dataclass(frozen=True)
class DocumentContext:
    """What a check gets: the parsed root, the model built from it and the role."""

    root: etree._Element
    feed: FeedDocument
    role: Role


CheckFunction = Callable[[DocumentContext], Iterable[Violation]]


@dataclass(frozen=True)
class Check:
    """A registered check: the requirement it judges and the roles it applies to."""

    requirement_id: str
    roles: frozenset[Role]
    function: CheckFunction

    @property
    def name(self) -> str:
        return self.function.__name__


#: The table of document-local checks, in catalogue order (whichever rule module loads first).
CHECKS: list[Check] = []


def _catalogue_position(item: Check) -> int:
    return list(catalogue()).index(item.requirement_id)


def check(requirement_id: str, *roles: Role) -> Callable[[CheckFunction], CheckFunction]:
    """Register ``function`` as the check of ``requirement_id`` (for ``roles``, default all),
    here and in the one registry of checks."""

    def add(function: CheckFunction) -> CheckFunction:
        item = Check(requirement_id, frozenset(roles or ROLES), function)
        bisect.insort(CHECKS, item, key=_catalogue_position)
        register((requirement_id,), function)
        return function

    return add


@cache
def _load() -> None:
    for name in RULE_MODULES:
        importlib.import_module(name)


def rules_for(role: Role) -> list[Check]:
    """The rules judged on a document of ``role``, in catalogue order."""
    _load()
    return [item for item in CHECKS if role in item.roles]


def registered_ids() -> set[str]:
    """The requirement ids that have a document-local check."""
    _load()
    return {item.requirement_id for item in CHECKS}


def _clean(rule: Check, violations: list[Violation]) -> Observation:
    found = [v.message for v in violations if v.requirement_id == rule.requirement_id]
    return Observation(not found, f"{rule.name}: no violation", "; ".join(found) or "-")


def judge(expect: Expect, rule: Check, violations: list[Violation]) -> bool:
    """The verdict of ``rule`` on the ``violations`` found in one document."""
    return Judging((rule.requirement_id,), _clean)(expect, rule, violations)


def check_root(root: etree._Element, role: Role) -> list[Violation]:
    """Run every check registered for ``role`` on an already parsed document."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, got {role!r}")
    try:
        feed = read_feed_root(root)
    except NotAnAtomFeed as exc:
        return [Violation(ids.DS_FEED_002, f"document: expected an atom:feed root, {exc}")]
    ctx = DocumentContext(root=root, feed=feed, role=role)
    return [violation for item in rules_for(role) for violation in item.function(ctx)]


def check_document(data: bytes, role: Role, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Violation]:
    """Parse a feed body safely and run the document-local checks for ``role``.

    A body that is not safe, well-formed XML yields a single DS-FEED-002 violation: it
    cannot be valid against the schema, and no other rule can be judged.
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, got {role!r}")
    try:
        root = parse_xml(data, max_bytes=max_bytes)
    except UnsafeOrInvalidXML as exc:
        return [Violation(ids.DS_FEED_002, f"document: expected safe, well-formed XML; {exc}")]
    return check_root(root, role)
