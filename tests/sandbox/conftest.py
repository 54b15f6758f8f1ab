"""Fixtures of the sandbox tests: an in-process sandbox (fresh ":memory:" database per test)
and an :class:`~tests.sandbox.helpers.Api` over it that checks every answer against specs/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dropship_conformance.sandbox import create_app

from .helpers import Api, TestClient


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(":memory:"), raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)
