"""The JSON results of a run (issue 14): their schema, and ``dropship-conformance diff``.

Real runs go against an in-memory sandbox served on a loopback port, limited to the feed suite
(a few seconds); the faulty run puts a fault of the kill table in front of it.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from dropship_conformance import cli
from dropship_conformance.faults.catalogue import fault
from dropship_conformance.faults.kill import RUN_TIMEOUT, faulty_sandbox
from dropship_conformance.harness import results
from dropship_conformance.harness.run import suites_dir
from dropship_conformance.verdicts import Verdict

FAULT = "feed-served-as-text-xml"
TOKEN = "sandbox-token"


@dataclass(frozen=True)
class Run:
    code: int
    results: Path
    har: Path


def harness_run(root: str, folder: Path, *extra: str) -> Run:
    """The harness's feed suite against ``root`` in its own process, as a user runs it."""
    paths = Run(0, folder / "conformance.json", folder / "run.har")
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(suites_dir()),
        "-q",
        "-p",
        "no:cacheprovider",
        "--suite",
        "feed",
        "--dropship-url",
        f"{root}/dropship/v1",
        "--orders-url",
        f"{root}/orders/v1",
        "--token",
        TOKEN,
        "--json",
        str(paths.results),
        "--har",
        str(paths.har),
        *extra,
    ]
    done = subprocess.run(command, capture_output=True, timeout=RUN_TIMEOUT, check=False)
    return Run(done.returncode, paths.results, paths.har)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    """One run against the sandbox and one against the sandbox behind a feed fault."""
    made = {}
    for name, chosen in (("sandbox", None), ("faulty", fault(FAULT))):
        with faulty_sandbox(chosen) as root:
            made[name] = harness_run(root, tmp_path_factory.mktemp(name))
    yield made


def _read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_a_real_runs_results_follow_the_schema(runs: dict[str, Run]) -> None:
    for run in runs.values():
        jsonschema.Draft202012Validator(results.schema()).validate(_read(run.results))


@pytest.mark.slow
def test_the_results_say_what_the_run_found(runs: dict[str, Run]) -> None:
    good, bad = _read(runs["sandbox"].results), _read(runs["faulty"].results)
    assert (runs["sandbox"].code, good["verdict"], good["complete"]) == (0, "conformant", True)
    assert (runs["faulty"].code, bad["verdict"]) == (1, "not conformant")
    verdicts = {r["id"]: r["verdict"] for r in bad["requirements"]}
    assert verdicts["DS-FEED-001"] == "failed"
    counts = bad["counts"]["requirements"]
    assert (
        counts["total"]
        == len(bad["requirements"])
        == sum(n for verdict, n in counts.items() if verdict != "total")
    )
    assert good["target"]["dropship_url"].endswith("/dropship/v1")
    assert good["target"]["sandbox_version"]


@pytest.mark.slow
def test_evidence_names_tests_and_exchanges_of_the_har(runs: dict[str, Run]) -> None:
    data = _read(runs["faulty"].results)
    har_ids = {e["_id"] for e in _read(runs["faulty"].har)["log"]["entries"]}
    failed = next(r for r in data["requirements"] if r["id"] == "DS-FEED-001")
    decisive = [e for e in failed["evidence"] if e["verdict"] == "failed"]
    assert decisive and all(e["test"].startswith("contract_tests/") for e in decisive)
    assert all(e["exchanges"] for e in decisive)
    cited = {x for r in data["requirements"] for e in r["evidence"] for x in e["exchanges"]}
    assert cited and cited <= har_ids


@pytest.mark.slow
def test_no_token_in_the_results(runs: dict[str, Run]) -> None:
    for run in runs.values():
        assert TOKEN not in run.results.read_text(encoding="utf-8")


def _diff(capsys: pytest.CaptureFixture[str], old: Path, new: Path) -> tuple[int, str, str]:
    code = cli.main(["diff", str(old), str(new)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.slow
def test_diff_of_two_real_runs(runs: dict[str, Run], capsys: pytest.CaptureFixture[str]) -> None:
    good, bad = runs["sandbox"].results, runs["faulty"].results
    code, out, _ = _diff(capsys, good, bad)
    assert code == 1
    assert out.index("regressions") < out.index("DS-FEED-001 (MUST): passed -> failed")
    code, out, _ = _diff(capsys, bad, good)
    assert code == 0
    assert "improvements" in out and "DS-FEED-001 (MUST): failed -> passed" in out
    assert "regressions" not in out
    code, out, _ = _diff(capsys, good, good)
    assert (code, "no requirement changed verdict" in out) == (0, True)


def _made(**verdicts: str) -> dict[str, Any]:
    """A small hand-made results document with these requirement verdicts."""
    rows = [
        {
            "id": rid,
            "level": "MUST",
            "rule": "a rule",
            "sources": [{"document": "001", "section": "a section"}],
            "verdict": verdict.replace("_", " "),
            "evidence": [],
        }
        for rid, verdict in verdicts.items()
    ]
    counts = {v: 0 for v in ("passed", "failed", "warned", "skipped", "not checked")}
    return {
        "format": "dropship-conformance-results",
        "format_version": 1,
        "harness": {"name": "dropship-conformance", "version": "0", "python": "3"},
        "target": {
            "kind": "target",
            "dropship_url": "u",
            "orders_url": "u",
            "sandbox_version": None,
        },
        "started": "2026-01-01T00:00:00+00:00",
        "finished": "2026-01-01T00:01:00+00:00",
        "verdict": "conformant",
        "verdict_reason": "no requirement failed",
        "complete": True,
        "incomplete_reason": None,
        "counts": {
            "requirements": {**counts, "total": len(rows)},
            "requirements_in_scope": {"failed": 0, "warned": 0, "passed": 0, "not checked": 0},
            "tests": {"passed": 0, "failed": 0, "skipped": 0, "total": 0},
        },
        "requirements": rows,
    }


# (old verdict, new verdict, what the diff calls it, exit code)
CHANGES = [
    ("passed", "failed", "regressions", 1),
    ("passed", "warned", "regressions", 1),
    ("passed", "not_checked", "regressions", 1),
    ("warned", "failed", "regressions", 1),
    ("not_checked", "failed", "regressions", 1),
    ("failed", "passed", "improvements", 0),
    ("warned", "passed", "improvements", 0),
    ("not_checked", "passed", "improvements", 0),
    ("skipped", "not_checked", "other changes", 0),
]


@pytest.mark.parametrize(("old", "new", "kind", "code"), CHANGES)
def test_diff_classifies_a_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, kind: str, code: int
) -> None:
    before, after = tmp_path / "old.json", tmp_path / "new.json"
    before.write_text(json.dumps(_made(R1=old, R2="passed")))
    after.write_text(json.dumps(_made(R1=new, R2="passed")))
    found, out, _ = _diff(capsys, before, after)
    assert found == code
    assert f"{kind}" in out and "R1 (MUST)" in out and "R2" not in out


def test_diff_lists_regressions_before_improvements(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before, after = tmp_path / "old.json", tmp_path / "new.json"
    before.write_text(json.dumps(_made(A="failed", B="passed")))
    after.write_text(json.dumps(_made(A="passed", B="failed")))
    code, out, _ = _diff(capsys, before, after)
    assert code == 1
    assert out.index("regressions") < out.index("B (MUST)") < out.index("improvements")
    assert out.index("improvements") < out.index("A (MUST)")


def test_diff_lists_the_worst_regression_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before, after = tmp_path / "old.json", tmp_path / "new.json"
    before.write_text(json.dumps(_made(A="passed", B="passed", C="passed")))
    after.write_text(json.dumps(_made(A="not_checked", B="warned", C="failed")))
    _, out, _ = _diff(capsys, before, after)
    assert out.index("C (MUST)") < out.index("A (MUST)") < out.index("B (MUST)")


def test_diff_of_identical_runs_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    same = tmp_path / "same.json"
    same.write_text(json.dumps(_made(A="passed")))
    code, out, _ = _diff(capsys, same, same)
    assert (code, "no requirement changed verdict" in out) == (0, True)


def _broken_schema() -> str:
    wrong = copy.deepcopy(_made(A="passed"))
    wrong["requirements"][0]["verdict"] = "fine"
    return json.dumps(wrong)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "cannot read"),
        ("{not json", "not JSON"),
        ('{"format": "something else"}', "not a conformance results file"),
        (_broken_schema(), "requirements/0/verdict"),
    ],
)
def test_diff_of_unreadable_input_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, says: str
) -> None:
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(_made(A="passed")))
    if content is not None:
        bad.write_text(content)
    code, out, err = _diff(capsys, good, bad)
    assert (code, out) == (2, "")
    assert says in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_a_run_that_cannot_reach_its_target_says_incomplete(tmp_path: Path) -> None:
    with faulty_sandbox(None) as root:
        closed = root
    run = harness_run(closed, tmp_path, "--timeout", "2")
    data = _read(run.results)
    jsonschema.Draft202012Validator(results.schema()).validate(data)
    assert (run.code, data["verdict"], data["complete"]) == (2, "incomplete", False)
    assert "unreachable" in data["incomplete_reason"]


def test_every_verdict_has_a_rank_and_a_place_in_the_schema() -> None:
    assert set(results.RANK) == set(Verdict)
    assert set(results.schema()["$defs"]["verdict"]["enum"]) == {v.value for v in Verdict}
