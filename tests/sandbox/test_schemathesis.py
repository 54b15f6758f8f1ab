"""Schemathesis against the running sandbox, with the project's own OpenAPI documents.

Every operation of both documents is exercised with generated requests, in positive mode
(requests that fit the schemas) and negative mode (requests that break them), and every
answer must pass: no server error, a status the operation documents, a body satisfying the
documented schema of that status, a documented Content-Type.

Examples per operation and mode: ``DROPSHIP_SCHEMATHESIS_EXAMPLES`` (default 10; CI or a tox
environment may raise it, e.g. ``DROPSHIP_SCHEMATHESIS_EXAMPLES=300``, which passes too). The
server is a real uvicorn server on a free loopback port with a SQLite file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dropship_conformance.sandbox import serve_in_thread
from dropship_conformance.specs import spec_path

EXAMPLES = int(os.environ.get("DROPSHIP_SCHEMATHESIS_EXAMPLES", "10"))
HEADERS = {"Authorization": "Bearer sandbox-token"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
]


def _schema(document: str, mode: str) -> schemathesis.schemas.BaseSchema:
    schema = schemathesis.openapi.from_path(spec_path(document))
    schema.config.generation.update(max_examples=EXAMPLES, modes=[mode])
    return schema


dropship_positive = _schema("dropship.openapi.yaml", "positive")
dropship_negative = _schema("dropship.openapi.yaml", "negative")
orders_positive = _schema("orders.openapi.yaml", "positive")
orders_negative = _schema("orders.openapi.yaml", "negative")


@pytest.fixture(scope="module")
def sandbox_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder: Path = tmp_path_factory.mktemp("schemathesis")
    with serve_in_thread(str(folder / "sandbox.sqlite3")) as base_url:
        yield base_url


@dropship_positive.parametrize()
def test_dropship_positive(case: schemathesis.Case, sandbox_url: str) -> None:
    case.call_and_validate(base_url=f"{sandbox_url}/dropship/v1", headers=HEADERS, checks=CHECKS)


@dropship_negative.parametrize()
def test_dropship_negative(case: schemathesis.Case, sandbox_url: str) -> None:
    case.call_and_validate(base_url=f"{sandbox_url}/dropship/v1", headers=HEADERS, checks=CHECKS)


@orders_positive.parametrize()
def test_orders_positive(case: schemathesis.Case, sandbox_url: str) -> None:
    case.call_and_validate(base_url=f"{sandbox_url}/orders/v1", headers=HEADERS, checks=CHECKS)


@orders_negative.parametrize()
def test_orders_negative(case: schemathesis.Case, sandbox_url: str) -> None:
    case.call_and_validate(base_url=f"{sandbox_url}/orders/v1", headers=HEADERS, checks=CHECKS)
