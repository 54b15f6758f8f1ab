"""The requirement catalogue (``specs/requirements.yaml``) as data the harness reads.

Levels live in the catalogue, once: a check names a requirement id and the catalogue decides
whether a deviation fails the run (MUST) or warns (SHOULD).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

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

    @property
    def is_must(self) -> bool:
        return self.level == "MUST"


@cache
def catalogue() -> dict[str, Requirement]:
    """Every requirement by id, in catalogue order."""
    with spec_path("requirements.yaml").open(encoding="utf-8") as handle:
        entries = yaml.safe_load(handle)["requirements"]
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
        )
        for entry in entries
    }


def requirement(requirement_id: str) -> Requirement:
    """The requirement with this id; an unknown id is a defect of the harness, not the target."""
    try:
        return catalogue()[requirement_id]
    except KeyError:
        raise KeyError(f"{requirement_id} is not in specs/requirements.yaml") from None
