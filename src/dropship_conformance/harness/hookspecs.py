"""The hooks the harness plugin adds to pytest, for a conftest or plugin to implement."""

from __future__ import annotations

import pytest

from dropship_conformance.harness import report


@pytest.hookspec(firstresult=True)
def pytest_dropship_matrix(config: pytest.Config) -> report.Matrix | None:
    """The requirement matrix the run's decisions go into; the first one given is used.

    The harness gives the catalogue's (every requirement); verify-client's checks give one that
    lists the client's duties instead.
    """
