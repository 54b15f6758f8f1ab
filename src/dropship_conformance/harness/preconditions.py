"""A precondition that could not be built is "not checked", decided here once for every suite.

Suites and test data raise :class:`~dropship_conformance.errors.SetupImpossible` rather than
call ``pytest.skip`` themselves, so how a missing precondition is reported lives in one place:
pytest sees a skip with the error's message as its reason, in a fixture or in the test.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from contextlib import contextmanager

import pytest

from dropship_conformance.errors import SetupImpossible


@contextmanager
def _skipped_when_impossible() -> Iterator[None]:
    try:
        yield
    except SetupImpossible as error:
        pytest.skip(str(error))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    with _skipped_when_impossible():
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    with _skipped_when_impossible():
        return (yield)
