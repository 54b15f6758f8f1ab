"""The requirement catalogue (``specs/requirements.yaml``) as data the harness reads.

Levels live in the catalogue, once: a check names a requirement id and the catalogue decides
whether a deviation fails the run (MUST) or warns (SHOULD), given the conformance classes the
target claims (a requirement of no claimed class is not judged; one class may raise a level).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from dropship_conformance.specs import spec_path

LEVELS = ("MUST", "SHOULD")
SUITES = (
    "schema",
    "feed",
    "archive",
    "full_shipment",
    "partial_shipment",
    "cancellation",
    "errors",
    "lifecycle",
    "siblings",
    "linked",
    "client",
)


@dataclass(frozen=True)
class Source:
    document: str
    section: str

    def __str__(self) -> str:
        return f"{self.document} §{self.section}"


@dataclass(frozen=True)
class Quote:
    """Text of a source document or RFC that makes a requirement mandatory."""

    document: str
    quote: str


@dataclass(frozen=True)
class ConformanceClass:
    """Requirements a target claims together, found by the prefix of their ids."""

    name: str
    title: str
    prefixes: tuple[str, ...]
    # The suites whose tests belong to the class when they declare no requirement.
    suites: tuple[str, ...]


@dataclass(frozen=True)
class Requirement:
    id: str
    level: str
    rule: str
    sources: tuple[Source, ...]
    suites: tuple[str, ...]
    operations: tuple[str, ...]
    party: str
    notes: str = ""
    basis: tuple[Quote, ...] = ()
    classes: tuple[str, ...] = ()
    # (class, level) where a class judges the requirement at another level than ``level``.
    levels: tuple[tuple[str, str], ...] = ()

    @property
    def is_must(self) -> bool:
        return self.level == "MUST"

    def level_in(self, claims: Iterable[str]) -> str | None:
        """The level this requirement is judged at when ``claims`` are claimed (the strictest
        of its claimed classes), None when none of its classes is claimed."""
        claimed = [name for name in self.classes if name in set(claims)]
        raised = dict(self.levels)
        return min(
            (raised.get(name, self.level) for name in claimed), key=LEVELS.index, default=None
        )


@cache
def _document() -> dict[str, Any]:
    with spec_path("requirements.yaml").open(encoding="utf-8") as handle:
        parsed: dict[str, Any] = yaml.safe_load(handle)
    return parsed


@cache
def classes() -> dict[str, ConformanceClass]:
    """The conformance classes by name, in catalogue order."""
    return {
        name: ConformanceClass(
            name,
            " ".join(str(entry["title"]).split()),
            tuple(entry["prefixes"]),
            tuple(entry["suites"]),
        )
        for name, entry in _document()["classes"].items()
    }


def classes_of(requirement_id: str) -> tuple[str, ...]:
    """The classes whose prefixes hold the id's prefix (the id without its number)."""
    prefix = requirement_id.rsplit("-", 1)[0]
    return tuple(name for name, found in classes().items() if prefix in found.prefixes)


def classes_of_test(requirement_ids: Iterable[str], suites: Iterable[str]) -> tuple[str, ...]:
    """The classes of a test that declares ``requirement_ids`` and is of ``suites``: those of
    its requirements of one class only (a check of AUTH on the dropship API is no test of the
    Orders API), else those of all its requirements, else those holding one of its suites."""
    of_each = [classes_of(rid) for rid in requirement_ids]
    specific = [found for found in of_each if len(found) == 1]
    chosen = specific or of_each
    if chosen:
        return tuple(dict.fromkeys(name for found in chosen for name in found))
    wanted = set(suites)
    return tuple(name for name, found in classes().items() if wanted & set(found.suites))


@cache
def catalogue() -> dict[str, Requirement]:
    """Every requirement by id, in catalogue order."""
    entries = _document()["requirements"]
    return {
        entry["id"]: Requirement(
            id=entry["id"],
            level=entry["level"],
            rule=" ".join(str(entry["rule"]).split()),
            sources=tuple(Source(str(s["document"]), str(s["section"])) for s in entry["source"]),
            suites=tuple(entry.get("suites") or ()),
            operations=tuple(entry.get("operations") or ()),
            party=entry.get("party", "server"),
            notes=" ".join(str(entry.get("notes") or "").split()),
            basis=tuple(
                Quote(str(q["document"]), " ".join(str(q["quote"]).split()))
                for q in entry.get("basis") or ()
            ),
            classes=classes_of(entry["id"]),
            levels=tuple((entry.get("levels") or {}).items()),
        )
        for entry in entries
    }


def requirement(requirement_id: str) -> Requirement:
    """The requirement with this id; an unknown id is a defect of the harness, not the target."""
    try:
        return catalogue()[requirement_id]
    except KeyError:
        raise KeyError(f"{requirement_id} is not in specs/requirements.yaml") from None
