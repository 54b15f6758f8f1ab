"""Every example of the source documents gets exactly the verdict its index entry states.

The examples are kept verbatim in ``specs/examples/``; ``index-json.yaml`` says for each one
whether it satisfies the OpenAPI documents and, when not, which DEVIATIONS entries explain why.
A change to a schema that flips a verdict fails here, so the specs cannot drift silently away
from what the source documents show.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
import yaml

from dropship_conformance import openapi

from .conftest import SPECS

EXAMPLES = SPECS / "examples"
DEVIATION_SLUGS = set(
    re.findall(r"^### ((?:DEV|ASSUME)-[A-Z0-9-]+)", (SPECS / "DEVIATIONS.md").read_text(), re.M)
)
JSON_INDEX = yaml.safe_load((EXAMPLES / "index-json.yaml").read_text())["examples"]


def _success_status(op: openapi.Operation) -> int:
    return min(int(s) for s in openapi.documented_statuses(op) if s.startswith("2"))


def judge_json(entry: dict) -> list[str]:
    """The violations of one JSON example against the specs (empty when valid)."""
    text = (EXAMPLES / entry["file"]).read_text(encoding="utf-8")
    try:
        body = json.loads(text)
    except json.JSONDecodeError as error:
        return [f"not JSON: {error}"]
    if entry["operation"] is None:
        return openapi.validate(entry["api"], openapi.component_pointer(entry["schema"]), body)
    op = openapi.operation(entry["operation"])
    if entry["kind"] in ("request", "template"):
        return openapi.validate(op.api, openapi.request_pointer(op), body)
    # 003 answers its POST updates with 201 where 004's PUT answers 200 (DEV-ORDERS-PUT): the
    # body is still judged, against the success response the operation documents.
    status = (
        entry["status"]
        if str(entry["status"]) in openapi.documented_statuses(op)
        else _success_status(op)
    )
    return openapi.validate(op.api, openapi.response_pointer(op, status), body)


@pytest.mark.parametrize("entry", JSON_INDEX, ids=[e["file"] for e in JSON_INDEX])
def test_json_example_verdict(entry: dict) -> None:
    violations = judge_json(entry)
    if entry["verdict"] == "valid":
        assert violations == [], f"{entry['file']} should be valid"
    elif entry["verdict"] == "not-json":
        assert violations and violations[0].startswith("not JSON"), (
            f"{entry['file']} parses as JSON"
        )
    else:
        assert violations, f"{entry['file']} should be invalid: {entry['reasons']}"
        assert not violations[0].startswith("not JSON")


@pytest.mark.parametrize("entry", JSON_INDEX, ids=[e["file"] for e in JSON_INDEX])
def test_json_example_names_known_deviations(entry: dict) -> None:
    named = set(entry["deviations"]) | set(entry.get("warnings") or [])
    assert named <= DEVIATION_SLUGS, f"unknown DEVIATIONS entries: {named - DEVIATION_SLUGS}"
    assert bool(entry["deviations"]) == (entry["verdict"] != "valid"), "a wrong example names why"


def test_every_example_file_is_indexed() -> None:
    files = {str(p.relative_to(EXAMPLES)) for p in (EXAMPLES / "json").glob("*.json")}
    assert files == {e["file"] for e in JSON_INDEX}


@pytest.mark.parametrize("entry", JSON_INDEX, ids=[e["file"] for e in JSON_INDEX])
def test_json_example_is_verbatim(entry: dict, seeds_dir: Path) -> None:
    """The file is the source block, only its common indentation removed."""
    (document,) = seeds_dir.glob(f"{entry['source']['document']}_*.txt")
    first, last = entry["source_lines"]
    block = document.read_text(encoding="utf-8").splitlines()[first - 1 : last]
    assert (EXAMPLES / entry["file"]).read_text(encoding="utf-8") == textwrap.dedent(
        "\n".join(block)
    ) + "\n"
