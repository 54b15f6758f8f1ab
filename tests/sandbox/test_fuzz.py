"""Fuzzing the sandbox: no request, however malformed, gets a 5xx, and it keeps serving.

Schemathesis generates requests for every operation of both OpenAPI documents, in negative
mode (requests that break the schemas) and positive mode (requests that fit them, which reach
the deeper code: creates, updates, Process); hypothesis generates requests to the test-control
API (any method, id and body). Only the absence of 5xx is judged here; test_schemathesis.py
judges the answers against the documents.

Examples per operation and mode: ``DROPSHIP_FUZZ_EXAMPLES`` (default 8: a few hundred requests
in all). ``DROPSHIP_FUZZ_EXAMPLES=250`` sends more than 10,000; the figures are printed
(``pytest -s``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from dropship_conformance.sandbox import serve_in_thread
from dropship_conformance.specs import spec_path

from .helpers import TOKEN

EXAMPLES = int(os.environ.get("DROPSHIP_FUZZ_EXAMPLES", "8"))
HEADERS = {"Authorization": f"Bearer {TOKEN}"}
DOCUMENTS = {"dropship.openapi.yaml": "/dropship/v1", "orders.openapi.yaml": "/orders/v1"}
CONTROL_PATHS = [
    "/info",
    "/reset",
    "/clock",
    "/suppliers/{a}/orders",
    "/suppliers/{a}/orders/{b}",
    "/suppliers/{a}/events",
    "/companies/{a}/orders/{b}/state",
]
IDS = st.one_of(
    st.text(max_size=12),
    st.integers().map(str),
    st.sampled_from(
        ["60455", "14107", "14146", "²", "1" * 5000, "0b05f9fb-1210-4494-b654-d051948716b4"]
    ),
)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
CONTROL_FIELDS = st.sampled_from(
    [
        "advance_hours",
        "count",
        "State",
        "items",
        "sku",
        "selling-price",
        "company-id",
        "location-id",
        "ship-to-store",
        "shipping-entity-id",
        "customer-id",
        "address-id",
    ]
)
CONTROL_BODIES = st.one_of(
    JSON,
    st.dictionaries(CONTROL_FIELDS, JSON, max_size=4),
    st.fixed_dictionaries(
        {"advance_hours": st.floats(allow_nan=False, allow_infinity=False) | st.integers()}
    ),
    st.fixed_dictionaries({"count": st.integers(max_value=300)}),
    st.fixed_dictionaries(
        {"items": st.lists(st.dictionaries(CONTROL_FIELDS, JSON, max_size=3), max_size=3)}
    ),
)


@dataclass
class Tally:
    sent: int = 0
    server_errors: list[str] = field(default_factory=list)

    def record(self, method: str, url: str, status: int, text: str) -> None:
        self.sent += 1
        if status >= 500:
            self.server_errors.append(f"{status} {method} {url[:200]}: {text[:200]}")


def _run(strategy: st.SearchStrategy[Any], send: Callable[[Any], None]) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def each(value: Any) -> None:
        send(value)

    each()


@pytest.fixture(scope="module")
def sandbox_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    with serve_in_thread(str(folder / "sandbox.sqlite3")) as base_url:
        yield base_url


def test_no_request_gets_a_5xx(sandbox_url: str) -> None:
    tally = Tally()
    with requests.Session() as session:

        def send_case(case: schemathesis.Case, base: str) -> None:
            try:
                response = case.call(base_url=base, session=session, headers=HEADERS, timeout=30)
            except (requests.RequestException, ValueError, UnicodeError):
                return  # a request the client library refuses to send never reached us
            tally.record(
                case.method, base + case.formatted_path, response.status_code, response.text
            )

        for document, prefix in DOCUMENTS.items():
            schema = schemathesis.openapi.from_path(spec_path(document))
            for result in schema.get_all_operations():
                operation = result.ok()
                for mode in (GenerationMode.NEGATIVE, GenerationMode.POSITIVE):
                    _run(
                        operation.as_strategy(generation_mode=mode),
                        lambda case, base=sandbox_url + prefix: send_case(case, base),
                    )

    with httpx.Client(base_url=sandbox_url + "/_sandbox", timeout=30) as client:

        def send_control(request: tuple[str, str, Any, bool]) -> None:
            method, path, body, as_json = request
            content = httpx.Request("POST", "/", json=body).content if as_json else None
            headers = {"Content-Type": "application/json"} if as_json else {}
            try:
                response = client.request(method, path, content=content, headers=headers)
            except httpx.InvalidURL:
                return
            tally.record(method, path, response.status_code, response.text)

        paths = st.builds(
            lambda template, a, b: template.format(a=a, b=b),
            st.sampled_from(CONTROL_PATHS),
            IDS,
            IDS,
        )
        methods = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"])
        for _ in range(len(CONTROL_PATHS)):
            _run(st.tuples(methods, paths, CONTROL_BODIES, st.booleans()), send_control)

    print(f"\nfuzz: {tally.sent} requests sent, {len(tally.server_errors)} answered 5xx")
    assert not tally.server_errors, "\n".join(tally.server_errors[:20])
    assert tally.sent >= EXAMPLES * 20
    feed = httpx.get(
        f"{sandbox_url}/dropship/v1/Suppliers(60455)/Notifications", headers=HEADERS, timeout=30
    )
    assert feed.status_code == 200
    assert httpx.get(f"{sandbox_url}/_sandbox/info", timeout=30).json()["sandbox"] is True
