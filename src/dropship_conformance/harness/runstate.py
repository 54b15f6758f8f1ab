"""What the harness plugin keeps about a run, shared by its modules (and by outputs.py).

Every piece lives in pytest's stash under one of these keys, so the fixtures, the hooks and the
reports read one state, and a pytest-xdist worker's state reaches the controller only through
the test reports.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack

import pytest

from dropship_conformance.client import Exchange
from dropship_conformance.harness import report
from dropship_conformance.harness.feedlock import FeedLock
from dropship_conformance.harness.target import Target
from dropship_conformance.verdicts import Expect

EXPECT = pytest.StashKey[Expect]()
EXCHANGES = pytest.StashKey[list[Exchange]]()
MATRIX = pytest.StashKey[report.Matrix]()
TARGET = pytest.StashKey[Target]()
STACK = pytest.StashKey[ExitStack]()
# The graceful signal handlers, active while tests run; the reports are written without them.
SIGNALS = pytest.StashKey[ExitStack]()
# Why the run stopped before its end, when it did: both reports say so.
INCOMPLETE = pytest.StashKey[str]()
# The reasons one by one, to merge a worker's into the controller's without repeating them.
INCOMPLETE_REASONS = pytest.StashKey[list[str]]()
# A run of the contract suites writes its own page (report.page) instead of pytest-html's.
OWN_PAGE = pytest.StashKey[bool]()
# Who else sees every exchange of the run as it is recorded (the HAR writer of outputs.py).
LISTENERS = pytest.StashKey[list[Callable[[Exchange, bytes, bytes], None]]]()
# The conformance classes the target claims (--claims), resolved once at collection.
CLAIMS = pytest.StashKey[frozenset[str]]()
FEED_LOCK = pytest.StashKey[FeedLock]()
LOCK_PATH = pytest.StashKey[str]()


def mark_incomplete(config: pytest.Config, reason: str) -> None:
    """Both reports of this run will say it is incomplete, and why (a signal, ``pytest.exit``,
    or a bound a check hit before it saw all it should, such as the archive walk's)."""
    reasons = config.stash.setdefault(INCOMPLETE_REASONS, [])
    if reason in reasons:
        return
    reasons.append(reason)
    config.stash[INCOMPLETE] = "; ".join(reasons)
