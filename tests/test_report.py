"""The conformance page and the console summary: verdict and counts at the top, each failure
once with the tests it affected, bounded size, escaped target content, one way of counting."""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict
from html import escape
from pathlib import Path

import pytest

from dropship_conformance.client import Exchange
from dropship_conformance.faults.catalogue import FAULTS
from dropship_conformance.faults.kill import faulty_sandbox
from dropship_conformance.harness import page, report, run
from dropship_conformance.harness.report import Decision, Matrix, RecordedTest, RunInfo
from dropship_conformance.verdicts import Verdict

MUST, OTHER_MUST, SHOULD = "DS-FEED-001", "DS-FEED-003", "DS-FEED-017"
MARKUP = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'
CHROMIUM_SECONDS = 60
RUN_SECONDS = 300
INFO = RunInfo("target: dropship http://t/d, orders http://t/o", "v", "t0", "t1", ("feed",))


def exchange(body: str = "<feed/>", url: str = "http://t/d/Notifications") -> Exchange:
    headers = (("Authorization", "Bearer [REDACTED]"),)
    return Exchange("GET", url, headers, "", 200, (), body, 1.0)


def message(requirement_id: str, found: str) -> str:
    return f"{requirement_id} (MUST) rule\n  expected: text/xml\n  found: {found}"


def failing_matrix(tests: int = 3) -> Matrix:
    """``MUST`` failed by ``tests`` tests with one finding (ids aside), ``SHOULD`` warned,
    ``OTHER_MUST`` passed."""
    matrix = Matrix()
    for n in range(tests):
        nodeid = f"contract_tests/test_feed.py::test_{n}"
        found = f"application/json for order 1b4e28ba-2fa1-11d2-883f-0016d3cca{n:03d}"
        matrix.add(MUST, Decision(nodeid, Verdict.FAILED, message(MUST, found)))
        matrix.add(OTHER_MUST, Decision(nodeid, Verdict.PASSED, f"{OTHER_MUST}: ok"))
        matrix.record(RecordedTest(nodeid, "failed", ("feed",), (exchange(),)))
    matrix.add(SHOULD, Decision("contract_tests/test_feed.py::test_0", Verdict.WARNED, "slow"))
    return matrix


def page_rows(html: str) -> dict[str, list[str]]:
    """The suites table: suite -> its cells (requirement buckets, then test outcomes)."""
    table = html.split("<h2>Suites</h2>", 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr><th>([^<]+)</th>((?:<td>[^<]*</td>)+)</tr>", table)
    return {suite: re.findall(r"<td>([^<]*)</td>", cells) for suite, cells in rows}


def top(page: str) -> str:
    """The page up to its first section: what a reader sees first."""
    return page.split("<h2", 1)[0]


def test_the_top_says_the_verdict_and_counts_requirements_and_tests_apart() -> None:
    page = report.page(failing_matrix(), INFO)
    head = re.sub(r"<[^>]+>", " ", top(page))
    assert "NOT CONFORMANT" in head
    counts = report.tally(failing_matrix(), INFO.suites)
    assert counts.requirements["failed"] == 1 and counts.requirements["warned"] == 1
    assert counts.tests == {"failed": 3, "passed": 0, "skipped": 0}
    assert f"Requirements ({counts.in_scope} in scope)" in head
    assert "Tests (3 run)" in head
    assert "feed" in head and "http://t/d" in head


@pytest.mark.parametrize(
    ("matrix", "incomplete", "word"),
    [
        (Matrix(), None, "incomplete"),
        (failing_matrix(), "interrupted by SIGTERM", "not conformant"),
        (Matrix({OTHER_MUST: [Decision("t", Verdict.PASSED, "ok")]}), None, "conformant"),
        (Matrix({OTHER_MUST: [Decision("t", Verdict.PASSED, "ok")]}), "bound", "incomplete"),
    ],
)
def test_the_verdict_word(matrix: Matrix, incomplete: str | None, word: str) -> None:
    info = RunInfo("t", "v", "t0", "t1", ("feed",), incomplete)
    assert report.verdict_of(report.tally(matrix, info.suites), incomplete)[0] == word
    page = report.page(matrix, info)
    assert f">{word.upper()}</span>" in page
    assert (f"incomplete: {incomplete}" in page) == bool(incomplete)


def test_a_finding_seen_by_many_tests_is_shown_once_with_the_tests() -> None:
    matrix = failing_matrix(tests=60)
    found = report.findings(matrix.decisions[MUST], Verdict.FAILED)
    assert len(found) == 1 and len(found[0].tests) == 60
    page = report.page(matrix, INFO)
    assert page.count("seen in 60 test(s)") == 1
    assert page.index("Failed requirements") < page.index("Warnings") < page.index("Suites")


def test_failures_show_rule_sources_basis_expected_found_and_exchanges() -> None:
    page = report.page(failing_matrix(), INFO)
    section = page.split("id='finding-DS-FEED-001'", 1)[1].split("</section>", 1)[0]
    requirement = report.catalogue()[MUST]
    assert escape(str(requirement.sources[0])) in section
    assert all(escape(q.quote[:40]) in section for q in requirement.basis)
    assert "<th>expected</th>" in section and "<th>found</th>" in section
    assert "GET http://t/d/Notifications -&gt; 200" in section


def test_the_evidence_is_the_exchange_the_finding_names_not_the_tests_last() -> None:
    deciding = exchange("<feed>the entry</feed>", url="http://t/d/Suppliers(1)/Notifications")
    later = tuple(exchange("{}", url=f"http://t/d/Other({n})") for n in range(5))
    found = f"GET {deciding.url} -> 200: entry[36] is not valid"
    assert report.evidence((deciding, *later), found) == (deciding,)
    assert report.evidence((deciding, *later), "no URL named") == later[-report.SHOWN_EVIDENCE :]
    refused = Exchange("GET", deciding.url, (), "", 401, (), "{}", 1.0)
    assert report.evidence((deciding, refused), found) == (deciding,)
    same = [message(MUST, f"entry[{n}] at 2026-12-03T09:00:{n:02d}Z is not valid") for n in (1, 9)]
    decisions = [Decision(f"t{n}", Verdict.FAILED, m) for n, m in enumerate(same)]
    assert len(report.findings(decisions, Verdict.FAILED)) == 1


def test_a_finding_of_tests_sharing_a_fixture_shows_the_exchanges_it_fetched() -> None:
    matrix = Matrix()
    feed = exchange(url="http://t/d/Suppliers(1)/Notifications")
    matrix.record(RecordedTest("m.py::test_a", "passed", ("feed",), (exchange(url="http://t/o"),)))
    matrix.record(RecordedTest("m.py::test_b", "passed", ("feed",), (feed,)))
    matrix.record(RecordedTest("m.py::test_c", "failed", ("feed",), ()))
    finding = report.Finding(f"found: {feed.url}: bad", ("m.py::test_c",))
    assert report.evidence_source(finding, matrix) == (matrix.tests["m.py::test_b"], True)
    alone = report.Finding("found: bad", ("other.py::test",))
    assert report.evidence_source(alone, matrix) == (None, False)


def test_bodies_are_cut_with_their_full_size_shown() -> None:
    cut_by_recorder = "x" * 65536 + "\n... (34464 more bytes not shown)"
    for body, size in (("y" * 100_000, 100_000), (cut_by_recorder, 100_000)):
        shown = report.cut_body(body)
        assert len(shown.encode()) < report.SHOWN_BODY_BYTES + 100
        assert f"of {size:,} bytes shown" in shown
    assert report.cut_body("small") == "small"


def test_exchanges_of_passing_tests_are_summary_lines_only() -> None:
    matrix = Matrix()
    matrix.add(OTHER_MUST, Decision("t", Verdict.PASSED, "ok"))
    matrix.record(RecordedTest("t", "passed", ("feed",), (exchange("BODY-OF-A-PASS" * 10),)))
    page = report.page(matrix, INFO)
    assert "BODY-OF-A-PASS" not in page
    assert "GET http://t/d/Notifications -&gt; 200 (140 bytes)" in page


def test_size_stays_bounded_when_every_test_fails_with_big_bodies() -> None:
    """400 failing tests, each with 50 exchanges of 64 KiB bodies (1.3 GB of bodies) and a
    distinct finding: the page stays far below the 20 MB bound."""
    body = "z" * 65536
    matrix = Matrix()
    for n in range(400):
        nodeid = f"contract_tests/test_x.py::test_{n}"
        matrix.add(MUST, Decision(nodeid, Verdict.FAILED, message(MUST, f"case {n}")))
        matrix.record(RecordedTest(nodeid, "failed", ("feed",), (exchange(body),) * 50))
    page = report.page(matrix, INFO)
    assert len(page.encode()) < 5_000_000
    assert f"{400 - report.SHOWN_FINDINGS} more distinct finding(s)" in page


def test_target_content_is_escaped_everywhere() -> None:
    matrix = Matrix()
    nodeid = f"contract_tests/test_feed.py::test[{MARKUP}]"
    matrix.add(MUST, Decision(nodeid, Verdict.FAILED, message(MUST, MARKUP)))
    matrix.record(
        RecordedTest(nodeid, "failed", ("feed",), (exchange(MARKUP, url=f"http://t/{MARKUP}"),))
    )
    info = RunInfo(f"target: {MARKUP}", "v", "t0", "t1", (), incomplete=MARKUP)
    page = report.page(matrix, info)
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(" in page


def test_the_console_has_a_line_per_failed_requirement_and_the_pages_counts() -> None:
    matrix = failing_matrix()
    lines = report.console_lines(matrix, INFO)
    failed = [line for line in lines if line.startswith("FAILED ")]
    assert len(failed) == 1
    assert failed[0].startswith(f"FAILED {MUST} (MUST) ")
    assert "expected: text/xml" in failed[0] and "found: application/json" in failed[0]
    assert "1 finding(s) in 3 test(s)" in failed[0]
    counts = report.tally(matrix, INFO.suites)
    assert counts.requirements_line() in lines and counts.tests_line() in lines
    page = report.page(matrix, INFO)
    for bucket, n in counts.requirements.items():
        assert f"{bucket}</span>: <b>{n}</b>" in page
    assert lines[-1].startswith("verdict: not conformant")


def chromium() -> str | None:
    return next(filter(None, map(shutil.which, ("chromium", "chromium-browser"))), None)


@pytest.mark.skipif(chromium() is None, reason="no chromium binary (Debian package: chromium)")
def test_chromium_renders_the_verdict_and_counts_at_the_top(tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text(report.page(failing_matrix(), INFO), encoding="utf-8")
    profile = tempfile.mkdtemp(dir=tmp_path)
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    command += ["--disable-background-networking", "--disable-component-update"]
    command += ["--disable-sync", f"--user-data-dir={profile}", "--dump-dom", path.as_uri()]
    dom = subprocess.run(
        command, capture_output=True, text=True, timeout=CHROMIUM_SECONDS, check=True
    ).stdout
    verdict = re.search(r"id=\"verdict\"[^>]*>([^<]*)<", dom)
    assert verdict and verdict.group(1) == "NOT CONFORMANT", dom[:2000]
    text = re.sub(r"<[^>]+>", " ", top(dom))
    assert re.search(r"Requirements \(\d+ in scope\)\s+failed\s*:\s*1\s+warned\s*:\s*1", text)
    assert re.search(r"Tests \(3 run\)\s+failed:\s*3", text)


def test_a_run_against_a_fault_reports_it_on_the_page_and_one_console_line(
    tmp_path: Path,
) -> None:
    """End to end: the feed suite against a sandbox serving text/xml."""
    fault = next(f for f in FAULTS if f.name == "feed-served-as-text-xml")
    with faulty_sandbox(fault) as root:
        command = [sys.executable, "-m", "dropship_conformance.cli", "run", "--suite", "feed"]
        command += ["--dropship-url", f"{root}/dropship/v1", "--orders-url", f"{root}/orders/v1"]
        command += ["--report", str(tmp_path / "r.html"), "--junitxml", str(tmp_path / "j.xml")]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=RUN_SECONDS, cwd=tmp_path
        )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    failed = [line for line in done.stdout.splitlines() if line.startswith("FAILED DS-")]
    assert any(line.startswith(f"FAILED {fault.requirement} ") for line in failed), done.stdout
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert ">NOT CONFORMANT</span>" in top(page)
    assert f"id='finding-{fault.requirement}'" in page
    assert "still running" not in page


def phase(when: str, outcome: str, **extra: object) -> pytest.TestReport:
    longrepr = ("f.py", 1, "Skipped: no order") if outcome == "skipped" else None
    rep = pytest.TestReport("m.py::t", ("f.py", 1, "t"), {}, outcome, longrepr, when)
    rep.__dict__.update(extra)
    return rep


def test_a_tests_record_is_rebuilt_from_its_phase_reports_as_xdist_hands_them_over() -> None:
    sent = asdict(exchange())
    failed = page.recorded_test(
        [
            phase("setup", "passed", suites=["feed"], exchanges=[sent]),
            phase("call", "failed"),
            phase("teardown", "passed"),
        ]
    )
    assert (failed.outcome, failed.suites, failed.exchanges) == ("failed", ("feed",), (exchange(),))
    skipped = page.recorded_test([phase("setup", "skipped"), phase("teardown", "passed")])
    assert (skipped.outcome, skipped.detail) == ("skipped", "Skipped: no order")


def test_pytests_tracebacks_come_with_verbose_only() -> None:
    parser = argparse.ArgumentParser()
    run.add_parser(parser.add_subparsers())
    assert "--tb=no" in run.pytest_args(parser.parse_args(["run"]))
    assert "--tb=long" in run.pytest_args(parser.parse_args(["run", "-v"]))


def test_a_suite_counts_the_requirements_its_tests_decided() -> None:
    """The sibling matrix judges rules the catalogue files under other suites: its row of the
    suites table counts them rather than showing 103 tests deciding nothing."""
    matrix = Matrix()
    nodeid = "contract_tests/test_siblings.py::test_cell"
    matrix.add(MUST, Decision(nodeid, Verdict.PASSED, f"{MUST}: ok"))
    matrix.record(RecordedTest(nodeid, "passed", ("siblings",)))
    info = RunInfo("target", "v", "t0", "t1", ("siblings",))
    rows = page_rows(report.page(matrix, info))
    assert rows["siblings"][:4] == ["0", "0", "1", "0"], rows
