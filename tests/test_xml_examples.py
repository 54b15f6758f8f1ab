"""The XML examples of the source documents: stored verbatim, judged as the index says.

specs/examples/index-xml.yaml states, for every file in specs/examples/xml/, the verdict
and the exact requirement ids that fire; these tests hold the harness to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import xmlschema
import yaml

from dropship_conformance.feed.rules import check_document, registered_ids
from dropship_conformance.feed.schemas import atom_schema, events_schema

REPO = Path(__file__).resolve().parents[1]
SPECS = REPO / "specs"
EXAMPLES = SPECS / "examples"
# The source documents live in shared/seeds beside the checkout (when present).
SEEDS = REPO.parent / "shared" / "seeds"

ROLE_OF_KIND = {"feed-current": "current", "feed-archive": "archive"}


def _index() -> list[dict[str, Any]]:
    data = yaml.safe_load((EXAMPLES / "index-xml.yaml").read_text(encoding="utf-8"))
    return data["examples"]


INDEX = _index()


def _levels() -> dict[str, str]:
    """Requirement levels from specs/requirements.yaml, when it exists yet."""
    path = SPECS / "requirements.yaml"
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {
        item["id"]: str(item.get("level", "MUST")).upper()
        for item in data.get("requirements", [])
        if isinstance(item, dict) and "id" in item
    }


@pytest.mark.parametrize("name", ["atom.xsd", "dropship-events.xsd", "fh.xsd"])
def test_xsd_loads_with_xmlschema(name: str) -> None:
    path = SPECS / name
    schema = xmlschema.XMLSchema10(str(path), base_url=str(SPECS), allow="sandbox", defuse="always")
    assert schema.validity == "valid"


def test_atom_schema_imports_events_and_history() -> None:
    namespaces = set(atom_schema().maps.namespaces)
    assert {"urn:iQmetrix:dropship", "http://purl.org/syndication/history/1.0"} <= namespaces
    assert set(atom_schema().elements) == {"feed", "entry"}
    assert set(events_schema().elements) == {"order-created", "order-status-updated"}


def test_index_covers_every_xml_example_once() -> None:
    listed = [entry["file"] for entry in INDEX]
    assert len(listed) == len(set(listed))
    on_disk = sorted(p.relative_to(EXAMPLES).as_posix() for p in (EXAMPLES / "xml").glob("*.xml"))
    assert sorted(listed) == on_disk


@pytest.mark.parametrize("entry", INDEX, ids=[entry["file"] for entry in INDEX])
def test_index_entry_is_well_formed(entry: dict[str, Any]) -> None:
    assert set(entry) >= {
        "file",
        "source",
        "kind",
        "schema",
        "verdict",
        "deviations",
        "violations",
    }
    assert entry["source"]["document"] in {"000", "001", "002"}
    assert entry["source"]["section"]
    assert entry["kind"] in ROLE_OF_KIND
    assert (SPECS / entry["schema"]).is_file()
    assert entry["verdict"] in {"valid", "invalid"}
    assert all(d.startswith("DEV-") for d in entry["deviations"])
    # a violation needs a deviation explaining it; a clean example needs none
    assert bool(entry["violations"]) == bool(entry["deviations"])


@pytest.mark.parametrize("entry", INDEX, ids=[entry["file"] for entry in INDEX])
def test_example_fires_exactly_the_indexed_violations(entry: dict[str, Any]) -> None:
    data = (EXAMPLES / entry["file"]).read_bytes()
    violations = check_document(data, ROLE_OF_KIND[entry["kind"]])  # type: ignore[arg-type]
    assert sorted({v.requirement_id for v in violations}) == sorted(entry["violations"])


@pytest.mark.parametrize("entry", INDEX, ids=[entry["file"] for entry in INDEX])
def test_example_verdict(entry: dict[str, Any]) -> None:
    levels = _levels()
    # Without the catalogue every violation counts; with it only MUST-level ones fail.
    failing = [rid for rid in entry["violations"] if levels.get(rid, "MUST") == "MUST"]
    assert entry["verdict"] == ("invalid" if failing else "valid")


def test_indexed_ids_are_catalogued() -> None:
    levels = _levels()
    if not levels:
        pytest.skip("specs/requirements.yaml not written yet")
    for entry in INDEX:
        assert set(entry["violations"]) <= set(levels), entry["file"]


def test_every_registered_rule_is_catalogued() -> None:
    levels = _levels()
    if not levels:
        pytest.skip("specs/requirements.yaml not written yet")
    assert registered_ids() <= set(levels)


def test_indexed_deviations_are_documented() -> None:
    path = SPECS / "DEVIATIONS.md"
    if not path.is_file():
        pytest.skip("specs/DEVIATIONS.md not written yet")
    text = path.read_text(encoding="utf-8")
    missing = {d for entry in INDEX for d in entry["deviations"] if d not in text}
    assert not missing


@pytest.mark.parametrize("entry", INDEX, ids=[entry["file"] for entry in INDEX])
def test_example_is_verbatim_from_its_source(entry: dict[str, Any]) -> None:
    sources = sorted(SEEDS.glob(f"{entry['source']['document']}_*.txt"))
    if not sources:
        pytest.skip("source documents not available beside the checkout")
    body = (EXAMPLES / entry["file"]).read_bytes()
    source = sources[0].read_bytes()
    first, last = entry["source_lines"]
    assert b"".join(source.splitlines(keepends=True)[first - 1 : last]) == body
    # a whole example: from the XML declaration to the end of the </feed> line
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n')
    assert body.rstrip().endswith(b"</feed>") and body.endswith(b"\n")
    start = source.index(body)
    assert start == 0 or source[start - 1 : start] == b"\n"
