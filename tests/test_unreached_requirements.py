"""A requirement a test declares but never judged is not checked, never passed (issue 10: an
unreached ORD-UPD-002 showed passed). Runs a small suite through the harness's pytest plugin
and reads the verdicts it wrote to the JUnit file.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

SUITE = """
import pytest


@pytest.mark.requirements("DS-FEED-001", "DS-FEED-002")
def test_judges_one_of_two(expect):
    expect.that("DS-FEED-001", True, expected="observed", found="observed")


@pytest.mark.requirements("DS-FEED-003", "DS-FEED-004")
def test_stops_at_a_failed_must(expect):
    expect.that("DS-FEED-003", False, expected="an absolute IRI", found="a relative one")
    expect.that("DS-FEED-004", True, expected="never reached", found="never reached")


@pytest.mark.requirements("DS-FEED-005")
def test_skips(expect):
    pytest.skip("the precondition could not be built")


@pytest.mark.requirements("DS-FEED-006")
def test_judges_nothing(expect):
    pass
"""


def test_declared_but_unjudged_requirements_are_not_checked(tmp_path: Path) -> None:
    (tmp_path / "test_suite.py").write_text(SUITE)
    junit = tmp_path / "junit.xml"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}"],
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
        check=False,
    )
    found = dict(
        (prop.get("value") or "").split(" ", 1)
        for prop in ElementTree.parse(junit).iter("property")
        if prop.get("name") == "requirement"
    )
    assert found == {
        "DS-FEED-001": "passed",
        "DS-FEED-002": "not checked",
        "DS-FEED-003": "failed",
        "DS-FEED-004": "not checked",
        "DS-FEED-005": "skipped",
        "DS-FEED-006": "not checked",
    }
