"""Self-checks of the requirement catalogue (specs/requirements.yaml).

The catalogue is the contract between the source documents, the OpenAPI documents and the
conformance suites: ids are quoted by code and reports, operations tie rules to endpoints, and
every cited section must be findable in its source document. These tests keep it that way.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from dropship_conformance.catalogue import catalogue

REPO_ROOT = Path(__file__).resolve().parents[1]
SPECS = REPO_ROOT / "specs"
CATALOGUE = SPECS / "requirements.yaml"
OPENAPI_FILES = (SPECS / "dropship.openapi.yaml", SPECS / "orders.openapi.yaml")
DEVIATIONS = SPECS / "DEVIATIONS.md"

ID_PATTERN = re.compile(r"^[A-Z]+(-[A-Z]+)?-\d{3}$")
LEVELS = {"MUST", "SHOULD"}
PARTIES = {"server", "client"}
SOURCE_DOCUMENTS = {"000", "001", "002", "003", "004", "RFC4287", "RFC5005"}
SEED_DOCUMENTS = {"000", "001", "002", "003", "004"}
# RFC quotes cannot be checked against a local copy; they name their RFC by number.
RFC_DOCUMENT = re.compile(r"^RFC[1-9]\d*$")
SUITES = {
    "schema",
    "feed",
    "archive",
    "full_shipment",
    "partial_shipment",
    "cancellation",
    "errors",
    "lifecycle",
    "linked",
    "client",
}
PREFIXES = {
    "DS-FEED",
    "DS-ARCH",
    "DS-EVT",
    "DS-UPD",
    "DS-ITEM",
    "DS-STAT",
    "DS-TRK",
    "DS-ERR",
    "DS-CLI",
    "AUTH",
    "HTTP",
    "ORD-CRT",
    "ORD-ITEM",
    "ORD-UPD",
    "ORD-STATE",
    "ORD-PROC",
    "ORD-FULL",
    "ORD-FLT",
    "ORD-ENUM",
    "ORD-ERR",
    "ORD-EXP",
    "LINK",
}
REQUIRED_KEYS = {"id", "level", "rule", "source", "suites", "operations", "party"}
ALLOWED_KEYS = REQUIRED_KEYS | {"notes", "basis", "levels"}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

# Ids that code already relies on; their level where the conventions fix it (None: not fixed).
FIXED_IDS: dict[str, str | None] = {
    **{f"DS-FEED-{n:03d}": None for n in range(1, 13)},
    **{f"DS-ARCH-{n:03d}": None for n in range(1, 10)},
    **{f"DS-ERR-{n:03d}": "MUST" for n in range(1, 5)},
    "DS-FEED-006": "MUST",
    "DS-FEED-007": "SHOULD",
    "DS-FEED-012": "SHOULD",
    "DS-ARCH-006": "SHOULD",
}
SLUG_PATTERN = re.compile(r"\b(?:DEV|ASSUME)-[A-Z0-9]+(?:-[A-Z0-9]+)*\b")


def _load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="module")
def requirements() -> list[dict[str, Any]]:
    """The catalogue's entries, in file order."""
    assert CATALOGUE.is_file(), f"missing requirement catalogue {CATALOGUE.relative_to(REPO_ROOT)}"
    document = _load_yaml(CATALOGUE)
    assert isinstance(document, dict), "requirements.yaml must be a mapping"
    entries = document.get("requirements")
    assert isinstance(entries, list), "requirements.yaml needs a list under `requirements`"
    assert entries, "the requirement list is empty"
    assert all(isinstance(entry, dict) for entry in entries), "every requirement is a mapping"
    return entries


@pytest.fixture(scope="module")
def openapi_operations() -> dict[str, str]:
    """operationId -> OpenAPI file name, collected from every path and method of both APIs."""
    missing = [str(path.relative_to(REPO_ROOT)) for path in OPENAPI_FILES if not path.is_file()]
    if missing:
        pytest.fail(
            "OpenAPI document(s) not found: "
            + ", ".join(missing)
            + " - the requirement operations cannot be checked against them"
        )
    operations: dict[str, str] = {}
    for path in OPENAPI_FILES:
        document = _load_yaml(path)
        paths = (document or {}).get("paths") or {}
        assert paths, f"{path.name} declares no paths"
        for route, item in paths.items():
            for method, operation in (item or {}).items():
                if method not in HTTP_METHODS:
                    continue
                operation_id = (operation or {}).get("operationId")
                assert operation_id, f"{path.name}: {method.upper()} {route} has no operationId"
                assert operation_id not in operations, (
                    f"operationId {operation_id} declared twice ({operations[operation_id]}, "
                    f"{path.name})"
                )
                operations[operation_id] = path.name
    return operations


@pytest.fixture(scope="module")
def seed_texts(seeds_dir: Path) -> dict[str, str]:
    """Each source document's text, whitespace-normalised, by its number."""
    texts = {}
    for document in SEED_DOCUMENTS:
        matches = sorted(seeds_dir.glob(f"{document}_*.txt"))
        assert len(matches) == 1, f"expected one source document {document}_*.txt in the seeds"
        texts[document] = _normalise(matches[0].read_text(encoding="utf-8"))
    return texts


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _basis_problems(entry: dict[str, Any]) -> list[str]:
    """What is wrong with an entry's basis as data: missing on a MUST, or malformed."""
    rid = entry["id"]
    basis = entry.get("basis")
    if basis is None:
        levels = {entry["level"], *(entry.get("levels") or {}).values()}
        return [f"{rid}: a MUST needs a basis"] if "MUST" in levels else []
    if not isinstance(basis, list) or not basis:
        return [f"{rid}: basis must be a non-empty list"]
    problems = []
    for quote in basis:
        if not isinstance(quote, dict) or set(quote) != {"document", "quote"}:
            problems.append(f"{rid}: basis item {quote!r} is not a {{document, quote}}")
        elif not isinstance(quote["quote"], str) or not quote["quote"].strip():
            problems.append(f"{rid}: empty quote of {quote['document']}")
        elif quote["document"] not in SEED_DOCUMENTS and not (
            isinstance(quote["document"], str) and RFC_DOCUMENT.match(quote["document"])
        ):
            problems.append(
                f"{rid}: basis document {quote['document']!r} is neither 000..004 nor an RFC"
            )
    return problems


def _misquotes(entry: dict[str, Any], seed_texts: dict[str, str]) -> list[str]:
    """The quotes of source documents that do not occur in them, whitespace aside."""
    return [
        f"{entry['id']}: not found in {quote['document']}: {_normalise(quote['quote'])!r}"
        for quote in entry.get("basis") or ()
        if quote["document"] in seed_texts
        and _normalise(quote["quote"]) not in seed_texts[quote["document"]]
    ]


def test_entries_have_exactly_the_documented_keys(requirements: list[dict[str, Any]]) -> None:
    for entry in requirements:
        keys = set(entry)
        missing = sorted(REQUIRED_KEYS - keys)
        assert not missing, f"{entry.get('id')}: missing keys {missing}"
        assert keys <= ALLOWED_KEYS, (
            f"{entry.get('id')}: unknown keys {sorted(keys - ALLOWED_KEYS)}"
        )


def test_ids_are_well_formed_and_unique(requirements: list[dict[str, Any]]) -> None:
    ids = [entry["id"] for entry in requirements]
    for requirement_id in ids:
        assert isinstance(requirement_id, str), f"id {requirement_id!r} is not a string"
        assert ID_PATTERN.match(requirement_id), f"malformed id {requirement_id!r}"
        prefix = requirement_id.rsplit("-", 1)[0]
        assert prefix in PREFIXES, f"{requirement_id}: unknown prefix {prefix}"
    duplicates = sorted(key for key, count in Counter(ids).items() if count > 1)
    assert not duplicates, f"duplicate ids: {duplicates}"


def test_fixed_ids_are_present_with_their_level(requirements: list[dict[str, Any]]) -> None:
    levels = {entry["id"]: entry["level"] for entry in requirements}
    missing = sorted(set(FIXED_IDS) - set(levels))
    assert not missing, f"fixed ids missing from the catalogue: {missing}"
    for requirement_id, level in FIXED_IDS.items():
        if level is not None:
            assert levels[requirement_id] == level, f"{requirement_id} must be {level}"


def test_rule_level_and_party(requirements: list[dict[str, Any]]) -> None:
    for entry in requirements:
        rid = entry["id"]
        assert isinstance(entry["rule"], str), f"{rid}: rule must be text"
        assert entry["rule"].strip(), f"{rid}: empty rule"
        assert entry["level"] in LEVELS, f"{rid}: level {entry['level']!r} not in {sorted(LEVELS)}"
        assert entry["party"] in PARTIES, f"{rid}: party {entry['party']!r} not in {PARTIES}"
        notes = entry.get("notes")
        assert notes is None or (isinstance(notes, str) and notes.strip()), f"{rid}: empty notes"


def test_sources_name_a_document_and_a_section(requirements: list[dict[str, Any]]) -> None:
    for entry in requirements:
        rid = entry["id"]
        sources = entry["source"]
        assert isinstance(sources, list), f"{rid}: source must be a list"
        assert sources, f"{rid}: needs at least one source"
        for source in sources:
            assert isinstance(source, dict), f"{rid}: source {source!r} is not a mapping"
            assert set(source) == {"document", "section"}, f"{rid}: source keys {sorted(source)}"
            assert source["document"] in SOURCE_DOCUMENTS, (
                f"{rid}: document {source['document']!r} not in {sorted(SOURCE_DOCUMENTS)}"
            )
            section = source["section"]
            assert isinstance(section, str), f"{rid}: section must be text"
            assert section.strip(), f"{rid}: empty section"


def test_suites_are_known(requirements: list[dict[str, Any]]) -> None:
    for entry in requirements:
        rid = entry["id"]
        suites = entry["suites"]
        assert isinstance(suites, list), f"{rid}: suites must be a list"
        assert suites, f"{rid}: needs at least one suite"
        unknown = sorted(set(suites) - SUITES)
        assert not unknown, f"{rid}: unknown suites {unknown}"
        assert len(set(suites)) == len(suites), f"{rid}: a suite is listed twice"


def test_client_duties_are_judged_by_the_client_suite(requirements: list[dict[str, Any]]) -> None:
    for entry in requirements:
        if entry["party"] == "client":
            assert entry["suites"] == ["client"], f"{entry['id']}: client duties use suite client"


def test_every_openapi_operation_has_a_requirement(
    requirements: list[dict[str, Any]], openapi_operations: dict[str, str]
) -> None:
    named = {op for entry in requirements for op in entry["operations"]}
    uncovered = sorted(set(openapi_operations) - named)
    assert not uncovered, f"operations no requirement constrains: {uncovered}"


def test_every_named_operation_exists(
    requirements: list[dict[str, Any]], openapi_operations: dict[str, str]
) -> None:
    for entry in requirements:
        rid = entry["id"]
        operations = entry["operations"]
        assert isinstance(operations, list), f"{rid}: operations must be a list"
        assert len(set(operations)) == len(operations), f"{rid}: an operation is listed twice"
        unknown = sorted(set(operations) - set(openapi_operations))
        assert not unknown, f"{rid}: operations not in the OpenAPI documents: {unknown}"


def test_cited_sections_occur_in_their_document(
    requirements: list[dict[str, Any]], seed_texts: dict[str, str]
) -> None:
    for entry in requirements:
        for source in entry["source"]:
            document = source["document"]
            if document in seed_texts:
                section = _normalise(source["section"])
                assert section in seed_texts[document], (
                    f"{entry['id']}: section {source['section']!r} does not occur in {document}"
                )


def test_every_must_stands_on_a_well_formed_basis(requirements: list[dict[str, Any]]) -> None:
    problems = [problem for entry in requirements for problem in _basis_problems(entry)]
    assert not problems, f"{len(problems)} basis problem(s):\n" + "\n".join(problems)


def test_every_quote_occurs_in_its_source_document(
    requirements: list[dict[str, Any]], seed_texts: dict[str, str]
) -> None:
    problems = [problem for entry in requirements for problem in _misquotes(entry, seed_texts)]
    assert not problems, f"{len(problems)} misquote(s):\n" + "\n".join(problems)


def test_catalogue_carries_each_basis_as_normalised_quotes() -> None:
    musts = [requirement for requirement in catalogue().values() if requirement.is_must]
    assert musts, "the catalogue has no MUST requirement"
    for requirement in musts:
        assert requirement.basis, f"{requirement.id}: basis not loaded"
        for quote in requirement.basis:
            assert quote.quote == _normalise(quote.quote), f"{requirement.id}: quote not normalised"


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"id": "X-001", "level": "MUST"}, "a MUST needs a basis"),
        ({"id": "X-001", "level": "MUST", "basis": []}, "non-empty list"),
        (
            {"id": "X-001", "level": "MUST", "basis": [{"document": "000", "quote": " "}]},
            "empty quote",
        ),
        (
            {"id": "X-001", "level": "MUST", "basis": [{"document": "rfc", "quote": "MUST"}]},
            "neither 000..004 nor an RFC",
        ),
        (
            {"id": "X-001", "level": "MUST", "basis": [{"document": "RFC4287"}]},
            "is not a {document, quote}",
        ),
    ],
)
def test_basis_check_catches_a_malformed_basis(entry: dict[str, Any], expected: str) -> None:
    problems = _basis_problems(entry)
    assert problems and expected in problems[0], problems


def test_quote_check_catches_a_misquote_and_ignores_line_breaks() -> None:
    texts = dict.fromkeys(SEED_DOCUMENTS, "Each page of the feed will contain up to 50 events.")
    basis = [
        {"document": "002", "quote": "Each page of the feed\n   will contain up to 50 events."},
        {"document": "000", "quote": "Each page of the feed will contain up to 60 events."},
        {"document": "RFC5005", "quote": "not checked against any copy"},
    ]
    problems = _misquotes({"id": "X-001", "level": "MUST", "basis": basis}, texts)
    assert problems == [
        "X-001: not found in 000: 'Each page of the feed will contain up to 60 events.'"
    ]
