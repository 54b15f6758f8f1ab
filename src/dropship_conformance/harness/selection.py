"""Which tests a run keeps: the suites asked for (--suite) and the classes the target claims.

A test's conformance classes follow from the requirements it declares; a test of classes the
target does not claim is deselected, so none of its requirements is judged.
"""

from __future__ import annotations

import os

import pytest

from dropship_conformance.catalogue import SUITES, classes, classes_of_test
from dropship_conformance.harness import options
from dropship_conformance.harness.runstate import CLAIMS, MATRIX


def declared(item: pytest.Item) -> list[str]:
    """The requirement ids the test's ``requirements`` markers name."""
    return [rid for marker in item.iter_markers("requirements") for rid in marker.args]


def claims(config: pytest.Config) -> frozenset[str]:
    """The classes the target claims: a test marked only with other classes is deselected, and
    the requirements of other classes are not claimed. A bad --claims ends the run (exit 2)."""
    if CLAIMS not in config.stash:
        claimed = options.option("claims")
        given = {claimed.dest: config.getoption(claimed.dest)}
        try:
            config.stash[CLAIMS] = options.value_of(claimed, given, dict(os.environ))
        except options.OptionError as error:
            pytest.exit(f"dropship-conformance: {error}", returncode=2)
        config.stash[MATRIX].claims = config.stash[CLAIMS]
    return config.stash[CLAIMS]


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    # The pytest-xdist controller collects nothing: its matrix learns the claims here, and a
    # bad --claims ends the run before the target is opened.
    claims(session.config)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    claimed = claims(config)
    for item in items:
        marked = {m.name for m in item.iter_markers()}
        if not marked & set(classes()):
            for name in classes_of_test(declared(item), marked & set(SUITES)):
                item.add_marker(name)
    wanted = set(config.getoption("suite") or [])
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        marked = {m.name for m in item.iter_markers()}
        in_suite = not wanted or wanted & marked
        of_classes = marked & set(classes())
        (kept if in_suite and (not of_classes or of_classes & claimed) else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
