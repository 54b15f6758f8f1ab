"""Schema suite: every operation of both OpenAPI documents, fuzzed with schemathesis and judged
by requirement id, plus a stateful run over the Orders API's OpenAPI links.

Each generated request goes through the harness's recorded session (so the HTML report shows
the exchanges, token redacted) and each answer is judged by the schemathesis checks that apply
to this contract, and for the feed by the Atom rules of ``dropship_conformance.feed.rules``.
``positive_data_acceptance`` is not used: a body that is valid by schema but names random
EntityIds or SKUs is rightly refused by the documents' business rules.

Bounds and reproduction (environment):
  DROPSHIP_CONFORMANCE_SCHEMA_EXAMPLES   generated examples per operation (default 10)
  DROPSHIP_CONFORMANCE_SCHEMA_SCENARIOS  stateful scenarios (default: the examples bound)
  DROPSHIP_CONFORMANCE_SCHEMA_STEPS      steps per stateful scenario (default 6)
  DROPSHIP_CONFORMANCE_SCHEMA_SEED       fix the seed (default: random, named in every failure)
No hypothesis example database is written.
"""

from __future__ import annotations

import http
import os
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis.control import current_build_context
from hypothesis.errors import FlakyStrategyDefinition
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from schemathesis.auths import AuthStorage
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.pytest.lazy import LazySchema
from schemathesis.specs.openapi.schemas import OpenApiSchema
from schemathesis.transport import BaseTransport
from schemathesis.transport.requests import REQUESTS_TRANSPORT, RequestsTransport
from urllib3 import HTTPHeaderDict, HTTPResponse

from dropship_conformance import openapi
from dropship_conformance.catalogue import requirement
from dropship_conformance.client import HttpSession, TargetError
from dropship_conformance.feed import atom, rules, schemas
from dropship_conformance.harness.target import Target
from dropship_conformance.harness.testdata import TestData
from dropship_conformance.specs import spec_path
from dropship_conformance.verdicts import Check, Expect, RequirementFailed

pytestmark = [
    pytest.mark.schema,
    # hypothesis measures the repr of large generated bodies; the report shows the exchanges.
    pytest.mark.filterwarnings("ignore:Generating overly large repr"),
]


# ----- what a failing check breaks: one table, as data -----
#
#   check                           requirement it decides
#   not_a_server_error              HTTP-005 (SHOULD: warned)
#   status_code_conformance         RULES[operation].contract
#   response_schema_conformance     2xx: FIELD_RULES for an enumeration field, else .contract;
#                                   4xx: HTTP-003 (the Error object)
#   content_type_conformance,       2xx: RULES[operation].media; otherwise HTTP-001
#   response_headers_conformance
#   negative_data_rejection         RULES[operation].negative[location the request breaks]
#   ignored_auth                    AUTH-001
#   atom_feed_conformance           each violation's own id (DS-FEED-*, DS-ARCH-*); entry
#                                   payloads DS-EVT-001 (order-created) / DS-EVT-005 (updated)
#   timestamps_carry_utc_offset     ORD-CRT-010 (SHOULD: warned)


@dataclass(frozen=True)
class Rules:
    """The requirements an operation's answers are judged by.

    ``contract``: the answer has a documented status and, when 2xx, the documented body.
    ``media``: a 2xx answer carries the documented Content-Type (and headers).
    ``negative``: a request breaking the schema at this location (header/path/query/body) is
    refused with a 4xx.
    """

    contract: str
    media: str
    negative: dict[str, str]


# A broken Authorization header (the security scheme's parameter) is refused under AUTH-001.
_FEED_NEG = {"header": "AUTH-001"}
_DS_NEG = {"path": "DS-ERR-005", "body": "DS-ERR-006", "header": "AUTH-001"}
_ORD_NEG = {
    "path": "ORD-ERR-005",
    "query": "ORD-FLT-004",
    "body": "ORD-ERR-002",
    "header": "AUTH-001",
}

RULES: dict[str, Rules] = {
    # Supplier Orders API (dropship)
    "getNotifications": Rules("DS-FEED-001", "DS-FEED-001", {**_FEED_NEG, "path": "DS-ERR-001"}),
    "getNotificationsPage": Rules(
        "DS-ARCH-010", "DS-ARCH-010", {**_FEED_NEG, "path": "DS-ERR-002"}
    ),
    "putOrderStatusUpdate": Rules("DS-UPD-001", "HTTP-001", _DS_NEG),
    "putItemStatusUpdate": Rules("DS-ITEM-001", "HTTP-001", _DS_NEG),
    # Orders API
    "createOrder": Rules("ORD-CRT-001", "HTTP-001", _ORD_NEG),
    "listOrders": Rules("ORD-FLT-001", "HTTP-001", _ORD_NEG),
    "getOrder": Rules("ORD-UPD-003", "HTTP-001", _ORD_NEG),
    "updateOrder": Rules("ORD-UPD-001", "HTTP-001", _ORD_NEG),
    "addItem": Rules("ORD-ITEM-001", "HTTP-001", _ORD_NEG),
    "listItems": Rules("ORD-ITEM-007", "HTTP-001", _ORD_NEG),
    "processOrder": Rules("ORD-PROC-001", "HTTP-001", _ORD_NEG),
    "createOrderFull": Rules("ORD-FULL-001", "HTTP-001", _ORD_NEG),
    "listOrderFull": Rules("ORD-FULL-003", "HTTP-001", _ORD_NEG),
    "getOrderFull": Rules("ORD-FULL-002", "HTTP-001", _ORD_NEG),
    "updateOrderFull": Rules("ORD-FULL-004", "HTTP-001", _ORD_NEG),
}

#: Checks whose requirement does not depend on the operation.
SERVER_ERROR = "HTTP-005"  # not_a_server_error: a client mistake never gets a 5xx (SHOULD)
IGNORED_AUTH = "AUTH-001"  # ignored_auth: no or an invalid token answers 401
ERROR_BODY = "HTTP-003"  # a 4xx answers with the documented Error object
ERROR_MEDIA = "HTTP-001"  # every JSON error answer is application/json
UTC_OFFSET = "ORD-CRT-010"  # Orders API date-times carry a UTC offset (SHOULD)

#: A schema violation at one of these fields of a 2xx body breaks the enumeration's rule rather
#: than the operation's (the key is the last name of the JSON path).
FIELD_RULES: dict[str, str] = {
    "State": "ORD-ENUM-001",
    "OrderType": "ORD-ENUM-002",
    "OrderTypeId": "ORD-ENUM-002",
    "ItemType": "ORD-ENUM-003",
    "ItemTypeId": "ORD-ENUM-003",
    "ItemStatus": "ORD-ENUM-004",
    "ItemStatusId": "ORD-ENUM-004",
    "Status": "DS-STAT-001",
}


def _enumeration(document: str, schema: str) -> list[dict[str, Any]]:
    return list(openapi.document(document)["components"]["schemas"][schema]["x-enumeration"])


#: The x-enumeration tables of the documents: what FIELD_RULES' fields must name.
ORDER_STATES = {e["name"] for e in _enumeration("orders", "OrderState")}
ORDER_TYPES = {e["id"]: e["name"] for e in _enumeration("orders", "OrderTypeId")}
ITEM_TYPES = {e["id"]: e["name"] for e in _enumeration("orders", "ItemTypeId")}
ITEM_STATUSES = {
    e["id"]: (e["name"], e["itemType"]) for e in _enumeration("orders", "OrdersItemStatusId")
}
DROPSHIP_STATUSES = {e["id"]: e["name"] for e in _enumeration("dropship", "OrderStatus")}


def _as_id(value: Any) -> Any:
    """ItemTypeId is a number or a numeric string (DEV-ITEMTYPEID-STRING)."""
    return int(value) if isinstance(value, str) and value.isdigit() else value


def _objects(value: Any, depth: int = 3) -> Iterator[dict[str, Any]]:
    if depth == 0:
        return
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _objects(item, depth - 1)
    elif isinstance(value, list):
        for item in value[:100]:
            yield from _objects(item, depth - 1)


def _enumeration_problems(body: Any) -> dict[str, list[str]]:
    """Which enumeration rule each object of a 2xx body breaks (names that do not name their
    ids), so a schema failure is charged to the enumeration's requirement."""
    found: dict[str, list[str]] = {}
    for obj in _objects(body):
        if "State" in obj and obj["State"] not in ORDER_STATES:
            found.setdefault("ORD-ENUM-001", []).append(f"State {obj['State']!r}")
        if "OrderTypeId" in obj:
            name = ORDER_TYPES.get(obj["OrderTypeId"])
            if name is None or obj.get("OrderType", name) != name:
                found.setdefault("ORD-ENUM-002", []).append(
                    f"OrderType {obj.get('OrderType')!r} for OrderTypeId {obj['OrderTypeId']!r}"
                )
        item_type = ITEM_TYPES.get(_as_id(obj.get("ItemTypeId")))
        if "ItemTypeId" in obj and (
            item_type is None or obj.get("ItemType", item_type) != item_type
        ):
            found.setdefault("ORD-ENUM-003", []).append(
                f"ItemType {obj.get('ItemType')!r} for ItemTypeId {obj['ItemTypeId']!r}"
            )
        if "ItemStatusId" in obj:
            name, belongs_to = ITEM_STATUSES.get(obj["ItemStatusId"], (None, None))
            if (
                name is None
                or obj.get("ItemStatus", name) != name
                or (item_type is not None and belongs_to != item_type)
            ):
                found.setdefault("ORD-ENUM-004", []).append(
                    f"ItemStatus {obj.get('ItemStatus')!r} for ItemStatusId "
                    f"{obj['ItemStatusId']!r} of ItemType {item_type!r}"
                )
        status = obj.get("Status")
        if (
            "Status" in obj
            and status not in DROPSHIP_STATUSES.values()
            and (isinstance(status, bool) or status not in DROPSHIP_STATUSES)
        ):
            found.setdefault("DS-STAT-001", []).append(f"Status {status!r}")
    return found


#: The checks of this suite, in the order they run, with what each expects.
CHECK_EXPECTATIONS: dict[str, str] = {
    "not_a_server_error": "no 5xx answer",
    "status_code_conformance": "a status the operation documents",
    "content_type_conformance": "the Content-Type the operation documents for that status",
    "response_schema_conformance": "a body valid against the documented response schema",
    "response_headers_conformance": "the response headers the operation documents",
    "negative_data_rejection": "a 4xx refusal of a request that breaks the schema",
    "ignored_auth": "401 for the same request without a token and with an invalid one",
    "atom_feed_conformance": "an Atom feed document obeying the feed rules",
    "timestamps_carry_utc_offset": "CreatedDateUtc and OrderExpiryDate with Z or +hh:mm",
}

FEED_OPERATIONS = ("getNotifications", "getNotificationsPage")
TIMESTAMP_FIELDS = ("CreatedDateUtc", "OrderExpiryDate")
ATOM = "application/atom+xml"
JSON = "application/json"
load_all_checks()  # the built-in OpenAPI checks, by name, for CHECKS.get_one


# ----- bounds -----


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(f"DROPSHIP_CONFORMANCE_SCHEMA_{name}", "").strip()
    try:
        return int(value) if value else default
    except ValueError:
        raise pytest.UsageError(
            f"DROPSHIP_CONFORMANCE_SCHEMA_{name}={value!r} is not an integer"
        ) from None


EXAMPLES = max(1, _env_int("EXAMPLES", 10))
SCENARIOS = max(1, _env_int("SCENARIOS", EXAMPLES))
STEPS = max(2, _env_int("STEPS", 6))
SEED = _env_int("SEED", random.SystemRandom().randrange(2**32))


# ----- schemathesis hooks: Atom bodies and the feed rules -----


@schemathesis.deserializer(ATOM)
def _atom_text(ctx: schemathesis.DeserializationContext, response: schemathesis.Response) -> str:
    """The documents give feed bodies as ``type: string``; their XML contract is checked by
    ``atom_feed_conformance``, so the body is handed over as text."""
    return response.content.decode("utf-8", errors="replace")


class FeedRulesBroken(AssertionError):
    """A feed document breaks rules of ``feed.rules``; keeps the violations for the verdicts."""

    def __init__(self, role: str, violations: list[rules.Violation]) -> None:
        self.role = role
        self.violations = violations
        listed = "; ".join(f"{v.requirement_id}: {v.message}" for v in violations)
        super().__init__(f"{role} document: {listed}")


def _feed_role(content: bytes) -> rules.Role:
    """An archive page links to a newer page (or says fh:archive); the current document does not."""
    try:
        document = atom.read_feed(content)
    except ValueError:
        return "current"
    return "archive" if document.is_archive or document.link("next-archive") else "current"


#: An entry payload's own schema (dropship-events.xsd) and the rule of its kind.
PAYLOAD_RULES = {"order-created": "DS-EVT-001", "order-status-updated": "DS-EVT-005"}


def _payload_violations(content: bytes) -> Iterator[rules.Violation]:
    """Each entry payload against dropship-events.xsd, under the rule of its kind."""
    try:
        document = atom.read_feed(content)
    except ValueError:
        return  # not a feed: DS-FEED-002 says so
    for index, entry in enumerate(document.entries):
        rule = PAYLOAD_RULES.get(entry.payload_kind or "")
        if rule is None or entry.payload is None:
            continue
        for message in schemas.validate_event(entry.payload):
            yield rules.Violation(rule, f"entry {index} ({entry.id}): {message}")


def _page_identity_violations(content: bytes, case: schemathesis.Case) -> list[rules.Violation]:
    """Pages({PageId}) answers the page of that id (its self link), not some other document:
    a PageId naming no page answers 400 (DS-ERR-002)."""
    requested = str((case.path_parameters or {}).get("PageId", ""))
    if _operation_id(case) != "getNotificationsPage" or not requested:
        return []
    try:
        self_link = atom.read_feed(content).link("self") or ""
    except ValueError:
        return []
    served = self_link.rsplit("Pages(", 1)[-1].split(")", 1)[0] if "Pages(" in self_link else ""
    if served.lower() == requested.lower():
        return []
    return [
        rules.Violation(
            "DS-ERR-002",
            f"Pages({requested}) answered 200 with the document whose self link is "
            f"{self_link or '(none)'}; a PageId naming no page answers 400",
        )
    ]


def _payload_kinds(content: bytes) -> set[str]:
    try:
        return {entry.payload_kind or "" for entry in atom.read_feed(content).entries}
    except ValueError:
        return set()


@schemathesis.check
def atom_feed_conformance(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """A 200 answer of the feed operations is an Atom document obeying the feed rules, with
    payloads valid against dropship-events.xsd."""
    if _operation_id(case) not in FEED_OPERATIONS or response.status_code != 200:
        return None
    role = _feed_role(response.content)
    violations = rules.check_document(response.content, role)
    violations += _payload_violations(response.content)
    violations += _page_identity_violations(response.content, case)
    if violations:
        raise FeedRulesBroken(role, violations)
    return True


def _feed_rule_ids(content: bytes) -> set[str]:
    """The rules a passing atom_feed_conformance evaluated on this document."""
    role = _feed_role(content)
    found = {c.requirement_id for c in rules.CHECKS if role in c.roles}
    return found | {PAYLOAD_RULES[k] for k in _payload_kinds(content) if k in PAYLOAD_RULES}


_OFFSET = re.compile(r"(Z|[+-]\d{2}:\d{2})$")


def _timestamps(value: Any, depth: int = 3) -> Iterator[tuple[str, Any]]:
    if depth == 0:
        return
    items = value.items() if isinstance(value, dict) else []
    for key, item in items:
        if key in TIMESTAMP_FIELDS:
            yield key, item
        yield from _timestamps(item, depth - 1)
    for item in value[:100] if isinstance(value, list) else []:
        yield from _timestamps(item, depth - 1)


@schemathesis.check
def timestamps_carry_utc_offset(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """Orders API date-times of a 2xx JSON answer carry "Z" or "+00:00" (DEV-DATETIME-OFFSET)."""
    if not 200 <= response.status_code < 300 or _operation_id(case) in FEED_OPERATIONS:
        return None
    try:
        found = list(_timestamps(response.json()))
    except ValueError:
        return None
    missing = [
        f"{key}={value!r}"
        for key, value in found
        if isinstance(value, str) and not _OFFSET.search(value)
    ]
    if missing:
        raise AssertionError("date-times without a UTC offset: " + ", ".join(missing[:10]))
    return True if found else None


# ----- transport: every request through the harness's recorded session -----


class _RecordedAdapter(BaseAdapter):
    """A requests adapter that sends through :class:`HttpSession`, so every exchange (probes of
    ``ignored_auth`` and stateful steps included) is bounded, redacted and in the report."""

    # Hop-by-hop and transfer details that httpx sets itself.
    _DROPPED = frozenset({"connection", "content-length", "accept-encoding", "transfer-encoding"})

    def __init__(self, http_session: HttpSession) -> None:
        super().__init__()
        self.http = http_session

    def send(
        self, request: requests.PreparedRequest, stream: bool = False, **kwargs: Any
    ) -> requests.Response:
        body = request.body.encode() if isinstance(request.body, str) else request.body
        headers = {k: v for k, v in request.headers.items() if k.lower() not in self._DROPPED}
        # token=None: the Authorization header is the case's own (the probes remove it).
        reply = self.http.request(
            str(request.method), str(request.url), content=body, headers=headers, token=None
        )
        response = requests.Response()
        response.status_code = reply.status
        response.headers = CaseInsensitiveDict(reply.headers.multi_items())
        # schemathesis reads headers (repeated ones too) and the HTTP version from `raw`; the
        # body is already complete, so `raw` carries none.
        response.raw = HTTPResponse(
            body=b"",
            headers=HTTPHeaderDict(reply.headers.multi_items()),
            status=reply.status,
            version=11,
            preload_content=False,
            decode_content=False,
        )
        response._content = reply.content
        response._content_consumed = True
        response.reason = _reason(reply.status)
        response.url = str(request.url)
        response.request = request
        response.encoding = requests.utils.get_encoding_from_headers(response.headers)
        response.connection = self
        return response

    def close(self) -> None:
        """The harness owns the HttpSession and closes it."""


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


class _RecordedTransport(RequestsTransport):
    """schemathesis's requests transport, always over the recorded session."""

    def __init__(self, session: requests.Session) -> None:
        super().__init__()
        self._copy_serializers_from(REQUESTS_TRANSPORT)
        self.session = session

    def send(
        self, case: schemathesis.Case, *, session: requests.Session | None = None, **kwargs: Any
    ) -> schemathesis.Response:
        kwargs.setdefault("allow_redirects", False)  # a redirect is an answer to judge
        return super().send(case, session=self.session, **kwargs)


def _recorded_schema_class(transport: BaseTransport) -> type[OpenApiSchema]:
    """An OpenApiSchema whose transport is the recorded one (clones keep their class)."""

    class RecordedSchema(OpenApiSchema):
        @property
        def transport(self) -> BaseTransport:
            return transport

    return RecordedSchema


@pytest.fixture(scope="session")
def recorded_transport(target: Target) -> Iterator[_RecordedTransport]:
    session = requests.Session()
    session.trust_env = False
    adapter = _RecordedAdapter(target.session)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    yield _RecordedTransport(session)
    session.close()


class _BearerToken:
    """schemathesis auth provider: the run's bearer token (explicit auth for ignored_auth)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "_BearerToken([REDACTED])"

    def get(self, case: schemathesis.Case, ctx: schemathesis.AuthContext) -> str:
        return self._token

    def set(self, case: schemathesis.Case, data: str, ctx: schemathesis.AuthContext) -> None:
        if case.headers is None:
            case.headers = CaseInsensitiveDict()
        case.headers["Authorization"] = f"Bearer {data}"


def _load_schema(
    document: str, base_url: str, target: Target, transport: BaseTransport
) -> OpenApiSchema:
    settings = target.settings
    config = schemathesis.Config()  # no schemathesis.toml discovery: the run is what this says
    config.update(seed=SEED, max_failures=None)
    loaded = schemathesis.openapi.from_path(spec_path(document), config=config)
    schema = _recorded_schema_class(transport)(
        raw_schema=loaded.raw_schema, config=loaded.config, location=loaded.location
    )
    # The token is applied by an auth provider, not as a configured header: configured headers
    # end up in the reprs of schemathesis's strategies, and so in error messages.
    schema.auth = AuthStorage(providers=[_BearerToken(settings.token)])
    schema.config.update(
        base_url=base_url,
        # The identities under test: with random ones every request would only meet the
        # "unknown supplier/company" errors, never a feed or an order.
        parameters={
            "path.SupplierId": settings.supplier_id,
            "path.CompanyId": settings.company_id,
        },
    )
    schema.config.generation.update(max_examples=EXAMPLES, database="none")
    schema.config.phases.update(phases=["examples", "fuzzing", "stateful"])
    # Stateful runs follow the documented OpenAPI links only: links inferred from list answers
    # would make the scenarios depend on what the server happens to hold.
    schema.config.phases.stateful.inference.algorithms = []
    return schema


@pytest.fixture(scope="session")
def dropship_schema(target: Target, recorded_transport: _RecordedTransport) -> OpenApiSchema:
    return _load_schema(
        "dropship.openapi.yaml", str(target.settings.dropship_url), target, recorded_transport
    )


@pytest.fixture(scope="session")
def orders_schema(target: Target, recorded_transport: _RecordedTransport) -> OpenApiSchema:
    return _load_schema(
        "orders.openapi.yaml", str(target.settings.orders_url), target, recorded_transport
    )


# ----- the judge: schemathesis checks -> requirement verdicts -----


def _operation_id(case: schemathesis.Case) -> str:
    return str(case.operation.definition.raw.get("operationId", case.operation.label))


def _is_negative(case: schemathesis.Case) -> bool:
    return case.meta is not None and case.meta.generation.mode.is_negative


#: When a request breaks the schema in several places, the server answers the first it meets.
NEGATIVE_PRECEDENCE = ("header", "path", "query", "body")


def _negative_location(case: schemathesis.Case) -> str | None:
    """Where a negative case breaks the schema (the location the server should refuse first)."""
    if case.meta is None or not case.meta.generation.mode.is_negative:
        return None
    broken = {
        str(location.value)
        for location, info in case.meta.components.items()
        if info.mode.is_negative
    }
    return next((loc for loc in NEGATIVE_PRECEDENCE if loc in broken), "body")


def _in_final_replay() -> bool:
    """True while hypothesis replays the minimal failing example it will report."""
    try:
        return current_build_context().is_final
    except Exception:  # outside a hypothesis test: every call is final
        return True


def _json_keys(value: Any, depth: int = 3) -> set[str]:
    if depth == 0:
        return set()
    if isinstance(value, dict):
        keys = set(value)
        for item in value.values():
            keys |= _json_keys(item, depth - 1)
        return keys
    if isinstance(value, list):
        return set().union(*(_json_keys(item, depth - 1) for item in value[:50]))
    return set()


@dataclass(frozen=True)
class Finding:
    requirement_id: str
    check: str
    detail: str


@dataclass
class Judge:
    """Runs the checks on each answer and turns their outcome into verdicts of ``expect``.

    Passes and SHOULD warnings are recorded once per operation and requirement. A MUST failure
    is recorded when first seen and raised; hypothesis then shrinks it, and the replay of the
    minimal failing example replaces the recorded example by the minimal one. Recording the
    first sighting keeps the verdict even when a stateful target cannot replay the example.
    """

    target: Target = field(repr=False)
    expect: Expect = field(repr=False)
    recorded: set[tuple[str, str, str]] = field(default_factory=set, repr=False)
    failures: dict[tuple[str, str, str], Check] = field(default_factory=dict, repr=False)
    auth_confirmed: set[str] = field(default_factory=set, repr=False)
    first_failure: RequirementFailed | None = field(default=None, repr=False)
    broken: str | None = None

    # -- requests --

    def business_identities(self, case: schemathesis.Case) -> None:
        """Valid-by-schema order bodies get the target's identities: with a random location,
        billing customer or employee every create/update would only meet ORD-ERR-003 or
        ORD-CRT-007/009, and no order would ever exist to follow the links from."""
        if _is_negative(case) or not isinstance(case.body, dict) or "EntityId" not in case.body:
            return
        settings = self.target.settings
        case.body["EntityId"] = settings.location_id
        case.body["BillingCustomerId"] = settings.billing_customer_id
        for name in ("EmployeeId", "ShippingEntityId"):
            case.body.pop(name, None)

    def pin_identities(self, case: schemathesis.Case) -> None:
        """For stateful steps, whose generation does not apply the schema's parameters: the
        run's CompanyId, unless the step deliberately breaks the path."""
        negative_path = case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH)
        if "CompanyId" in (case.path_parameters or {}) and not negative_path:
            case.path_parameters["CompanyId"] = self.target.settings.company_id

    @staticmethod
    def accept(case: schemathesis.Case) -> dict[str, str]:
        """The Accept header the documents prescribe (DS-CLI-014)."""
        return {"Accept": ATOM if _operation_id(case) in FEED_OPERATIONS else JSON}

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.target.settings.token}"}

    def call(self, case: schemathesis.Case, **kwargs: Any) -> schemathesis.Response:
        """Send the case; after one TargetError every later call fails at once (no retries
        against a dead target while hypothesis shrinks)."""
        if self.broken:
            raise TargetError(self.broken)
        kwargs.setdefault("headers", self.accept(case))
        try:
            return case.call(**kwargs)
        except TargetError as error:
            self.broken = str(error)
            raise

    # -- judging --

    def judge(
        self,
        case: schemathesis.Case,
        response: schemathesis.Response,
        transport_kwargs: dict[str, Any] | None = None,
    ) -> None:
        """Run every check on one answer; record passes and findings; raise on a MUST failure."""
        __tracebackhide__ = True
        operation = _operation_id(case)
        rules_ = RULES[operation]
        kwargs = dict(transport_kwargs or {})
        kwargs.setdefault("headers", self.accept(case))
        # The token is the run's own (explicit auth), which is what ignored_auth needs to know.
        context_headers = {**kwargs["headers"], **self.bearer()}
        findings: list[Finding] = []
        passed: set[str] = set()
        for name in CHECK_EXPECTATIONS:
            if name == "ignored_auth" and (
                operation in self.auth_confirmed
                or _is_negative(case)
                or not 200 <= response.status_code < 300
            ):
                continue  # probes a valid request's 2xx; one proof per operation is enough
            failures = self._run(name, case, response, context_headers, kwargs)
            if failures:
                findings.extend(self._findings(name, failures, case, response, rules_))
            else:
                passed |= self._passes(name, case, response, rules_)
                if name == "ignored_auth":
                    self.auth_confirmed.add(operation)
        failed = {f.requirement_id for f in findings}
        for requirement_id in sorted(passed - failed):
            self._record_pass(case, requirement_id)
        self._record_findings(case, response, findings)

    @staticmethod
    def _run(
        name: str,
        case: schemathesis.Case,
        response: schemathesis.Response,
        headers: dict[str, str],
        kwargs: dict[str, Any],
    ) -> list[Failure]:
        try:
            case.validate_response(
                response, checks=[CHECKS.get_one(name)], headers=headers, transport_kwargs=kwargs
            )
        except FailureGroup as group:
            return list(group.exceptions)
        return []

    @staticmethod
    def _findings(
        name: str,
        failures: list[Failure],
        case: schemathesis.Case,
        response: schemathesis.Response,
        rules_: Rules,
    ) -> Iterator[Finding]:
        """The requirement each failure breaks (the table at the top of the module)."""
        success = 200 <= response.status_code < 300
        for failure in failures:
            text = _failure_text(failure)
            exception = getattr(failure, "exception", None)
            if isinstance(exception, FeedRulesBroken):
                for violation in exception.violations:
                    yield Finding(violation.requirement_id, name, violation.message)
            elif name == "not_a_server_error":
                yield Finding(SERVER_ERROR, name, text)
            elif name == "ignored_auth":
                yield Finding(IGNORED_AUTH, name, text)
            elif name == "timestamps_carry_utc_offset":
                yield Finding(UTC_OFFSET, name, text)
            elif name == "negative_data_rejection":
                location = _negative_location(case) or "body"
                yield Finding(rules_.negative.get(location, rules_.contract), name, text)
            elif name in ("content_type_conformance", "response_headers_conformance"):
                yield Finding(rules_.media if success else ERROR_MEDIA, name, text)
            elif name == "response_schema_conformance" and not success:
                yield Finding(ERROR_BODY, name, text)
            elif name == "response_schema_conformance":
                try:
                    problems = _enumeration_problems(response.json())
                except ValueError:
                    problems = {}
                path = list(getattr(failure, "instance_path", None) or [])
                names = [part for part in path if isinstance(part, str)]
                if names and names[-1] in FIELD_RULES:
                    problems.setdefault(FIELD_RULES[names[-1]], [])
                for rule, where in problems.items():
                    yield Finding(rule, name, "; ".join(where[:5]) or text)
                yield Finding(rules_.contract, name, text)
            elif _is_negative(case):  # status_code_conformance: refused with another status
                location = _negative_location(case) or "body"
                yield Finding(rules_.negative.get(location, rules_.contract), name, text)
            else:  # status_code_conformance
                yield Finding(rules_.contract, name, text)

    @staticmethod
    def _passes(
        name: str, case: schemathesis.Case, response: schemathesis.Response, rules_: Rules
    ) -> set[str]:
        """The requirements a passing check really evaluated on this answer."""
        status = response.status_code
        success = 200 <= status < 300
        if name == "not_a_server_error":
            return {SERVER_ERROR} if 400 <= status < 500 else set()
        if name == "ignored_auth":
            return {IGNORED_AUTH}
        if name == "negative_data_rejection":
            location = _negative_location(case)
            return {rules_.negative[location]} if location in rules_.negative else set()
        if name == "atom_feed_conformance":
            if _operation_id(case) not in FEED_OPERATIONS or status != 200:
                return set()
            return _feed_rule_ids(response.content)
        if name == "timestamps_carry_utc_offset":
            if not success or _operation_id(case) in FEED_OPERATIONS:
                return set()
            try:
                return {UTC_OFFSET} if any(True for _ in _timestamps(response.json())) else set()
            except ValueError:
                return set()
        if name == "content_type_conformance":
            return {rules_.media if success else ERROR_MEDIA}
        if name == "response_schema_conformance" and success:
            try:
                keys = _json_keys(response.json())
            except ValueError:
                keys = set()
            return {rules_.contract} | {FIELD_RULES[key] for key in keys if key in FIELD_RULES}
        if name == "status_code_conformance" and success:
            return {rules_.contract}
        return set()

    def _record_pass(self, case: schemathesis.Case, requirement_id: str) -> None:
        key = (case.operation.label, requirement_id, "passed")
        if key not in self.recorded:
            self.recorded.add(key)
            self.expect.that(
                requirement_id,
                True,
                expected=f"{case.operation.label}: the checks of {requirement_id} hold",
                found="",
            )

    def _record_findings(
        self, case: schemathesis.Case, response: schemathesis.Response, findings: list[Finding]
    ) -> None:
        __tracebackhide__ = True
        final = _in_final_replay()
        must_failed: tuple[str, str] | None = None
        for finding in findings:
            key = (case.operation.label, finding.requirement_id, finding.check)
            earlier = self.failures.get(key)
            if not requirement(finding.requirement_id).is_must:
                if key not in self.recorded:  # SHOULD: one warning per operation and rule
                    self.recorded.add(key)
                    self.expect.that(
                        finding.requirement_id,
                        False,
                        expected=f"{finding.check}: {CHECK_EXPECTATIONS[finding.check]}",
                        found=self._found(case, response, finding),
                    )
                continue
            if earlier is not None and not final:
                must_failed = must_failed or (finding.requirement_id, earlier.message)
                continue
            try:
                self.expect.that(
                    finding.requirement_id,
                    False,
                    expected=f"{finding.check}: {CHECK_EXPECTATIONS[finding.check]}",
                    found=self._found(case, response, finding),
                )
            except RequirementFailed as failed:
                if earlier is not None:  # the minimal example replaces the first one seen
                    self.expect.checks.remove(earlier)
                self.failures[key] = self.expect.checks[-1]
                self.first_failure = self.first_failure or failed
                must_failed = must_failed or (finding.requirement_id, str(failed))
        if must_failed is not None:
            # Always raised here, so hypothesis sees one failure however it was first recorded.
            raise RequirementFailed(*must_failed)

    def _found(
        self, case: schemathesis.Case, response: schemathesis.Response, finding: Finding
    ) -> str:
        request = response.request
        media = (response.headers.get("content-type") or ["(none)"])[0]
        body = response.content[:300].decode("utf-8", errors="replace")
        mode = "negative" if _is_negative(case) else "positive"
        text = (
            f"{request.method} {request.url} ({mode} example, seed {SEED}) -> "
            f"{response.status_code} {media}: {finding.detail}"
        )
        if body and finding.check != "atom_feed_conformance":
            text += f"\n  body: {body}"
        return self.target.recorder.redact(text)


def _failure_text(failure: Failure) -> str:
    text = f"{failure.title}: {failure.message}".strip()
    return " ".join(text.split())[:1500]


@pytest.fixture
def judge(target: Target, expect: Expect) -> Judge:
    return Judge(target=target, expect=expect)


# ----- the suites -----


def _let_schemathesis_read_node_ids() -> None:
    """schemathesis 4.32's ``from_fixture`` reads and assigns ``request.node._nodeid`` to name
    each operation's subtest; pytest 9.2 replaced that attribute by a structured ``Node._id``.
    Give it back read-only (assignments are ignored), so pytest keeps counting a failed subtest
    against its test: renaming the node would make pytest 9.2 report the test itself as passed."""
    try:
        from _pytest import nodes
        from _pytest.nodeid import NodeId  # noqa: F401  (only pytest >= 9.2 has it)
    except ImportError:  # older pytest: `_nodeid` is a real attribute
        return
    if hasattr(nodes.Node, "_nodeid"):
        return

    def get(node: nodes.Node) -> str:
        return node.nodeid

    def ignore(node: nodes.Node, value: str) -> None:
        """The operation is in the test's own name already (one test per operation)."""

    nodes.Node._nodeid = property(get, ignore)  # type: ignore[attr-defined]


_let_schemathesis_read_node_ids()

dropship_api = schemathesis.pytest.from_fixture("dropship_schema")
orders_api = schemathesis.pytest.from_fixture("orders_schema")


def _operation_test(api: LazySchema, operation_id: str) -> Callable[..., None]:
    """One pytest test per operation, so each has its own verdicts, exchanges and report row."""
    rules_ = RULES[operation_id]

    @api.include(operation_id=operation_id).parametrize()
    @hypothesis.settings(database=None, deadline=None)
    @pytest.mark.requirements(rules_.contract, rules_.media)
    def test(case: schemathesis.Case, judge: Judge) -> None:
        judge.business_identities(case)
        judge.judge(case, judge.call(case))

    test.__name__ = test.__qualname__ = f"test_{operation_id}"
    test.__doc__ = f"{operation_id}: generated requests judged by the schema suite's checks."
    return test


for _api, _document in ((dropship_api, "dropship"), (orders_api, "orders")):
    for _operation in openapi.operations(_document):
        globals()[f"test_{_operation.operation_id}"] = _operation_test(
            _api, _operation.operation_id
        )


@pytest.fixture(scope="module")
def feed_with_entries(testdata: TestData) -> None:
    """The supplier's feed holds at least one order-created."""
    testdata.new_order()


def _page_ids(document: atom.FeedDocument) -> list[str]:
    hrefs = (document.link(rel) for rel in ("self", "prev-archive"))
    return [h.rsplit("Pages(", 1)[1].split(")", 1)[0] for h in hrefs if h and "Pages(" in h]


@pytest.mark.requirements("DS-FEED-001", "DS-ARCH-010")
def test_feed_pages_conform(
    feed_with_entries: None, dropship_schema: OpenApiSchema, judge: Judge
) -> None:
    """The current document and the pages its self and prev-archive links name, judged by
    the same checks (generated PageIds never name a page)."""
    supplier = judge.target.settings.supplier_id
    current = dropship_schema.find_operation_by_id("getNotifications").Case(
        path_parameters={"SupplierId": supplier}, headers=judge.bearer()
    )
    response = judge.call(current)
    judge.judge(current, response)
    page_ids = _page_ids(atom.read_feed(response.content))
    if not page_ids:
        pytest.skip("the current document links no page (judged by DS-FEED-010)")
    pages = dropship_schema.find_operation_by_id("getNotificationsPage")
    for page_id in page_ids:
        page = pages.Case(
            path_parameters={"SupplierId": supplier, "PageId": page_id}, headers=judge.bearer()
        )
        judge.judge(page, judge.call(page))


@pytest.mark.requirements("HTTP-004")
def test_served_under_v1(
    dropship_schema: OpenApiSchema, orders_schema: OpenApiSchema, judge: Judge, expect: Expect
) -> None:
    """Both base URLs end in /v1 and the documented paths answer below them (DEV-BASE-V1)."""
    settings = judge.target.settings
    exchanges = []
    for schema, operation_id, path_parameters in (
        (dropship_schema, "getNotifications", {"SupplierId": settings.supplier_id}),
        (orders_schema, "listOrders", {"CompanyId": settings.company_id}),
    ):
        case = schema.find_operation_by_id(operation_id).Case(
            path_parameters=path_parameters, headers=judge.bearer()
        )
        exchanges.append((case, judge.call(case)))
    urls = [str(settings.dropship_url), str(settings.orders_url)]
    expect.that(
        "HTTP-004",
        all(url.rstrip("/").endswith("/v1") for url in urls)
        and all(response.status_code == 200 for _, response in exchanges),
        expected="base URLs ending in /v1, a documented GET below each answering 200",
        found=f"base URLs {urls}; "
        + "; ".join(f"GET {r.request.url} -> {r.status_code}" for _, r in exchanges),
    )
    for case, response in exchanges:
        judge.judge(case, response)


@pytest.mark.requirements("HTTP-002")
def test_media_types_compared_as_http_defines(
    dropship_schema: OpenApiSchema, orders_schema: OpenApiSchema, judge: Judge, expect: Expect
) -> None:
    """A JSON body labelled "Application/JSON" or "application/json; charset=utf-8" is JSON, and
    "Accept: Application/Atom+XML" gets the feed (media types are case-insensitive, RFC 9110)."""
    settings = judge.target.settings
    create = orders_schema.find_operation_by_id("createOrder")
    body = {
        "EntityId": settings.location_id,
        "OrderTypeId": 3,
        "BillingCustomerId": settings.billing_customer_id,
    }
    exchanges, problems = [], []
    for content_type in ("Application/JSON", "application/json; charset=utf-8"):
        case = create.Case(
            path_parameters={"CompanyId": settings.company_id},
            headers={**judge.bearer(), "Content-Type": content_type},
            body=body,
            media_type=JSON,
        )
        response = judge.call(case)
        exchanges.append((case, response))
        if response.status_code != 201:
            problems.append(f"POST Orders as {content_type!r} -> {response.status_code}")
    feed = dropship_schema.find_operation_by_id("getNotifications").Case(
        path_parameters={"SupplierId": settings.supplier_id}, headers=judge.bearer()
    )
    response = judge.call(feed, headers={"Accept": "Application/Atom+XML"})
    exchanges.append((feed, response))
    media = (response.headers.get("content-type") or [""])[0].split(";")[0].strip().lower()
    if response.status_code != 200 or media != ATOM:
        problems.append(
            f"GET Notifications with Accept Application/Atom+XML -> {response.status_code} {media}"
        )
    expect.none_of(
        "HTTP-002",
        problems,
        expected="201 for both spellings of application/json; 200 atom for the Accept variant",
    )
    for case, response in exchanges:
        judge.judge(case, response)


@pytest.mark.requirements("ORD-CRT-001", "ORD-FULL-001")
def test_orders_stateful_links(orders_schema: OpenApiSchema, judge: Judge) -> None:
    """Scenarios along the OpenAPI links (createOrder -> getOrder/updateOrder/addItem/listItems/
    processOrder/getOrderFull; createOrderFull -> getOrderFull/updateOrderFull/processOrder/
    listItems), every step judged by the same checks."""
    base = orders_schema.as_state_machine()

    class Scenario(base):  # type: ignore[misc, valid-type]
        def before_call(self, case: schemathesis.Case) -> None:
            judge.pin_identities(case)
            judge.business_identities(case)

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": Judge.accept(case)}

        def call(self, case: schemathesis.Case, **kwargs: Any) -> schemathesis.Response:
            return judge.call(case, **kwargs)

        def validate_response(
            self,
            response: schemathesis.Response,
            case: schemathesis.Case,
            additional_checks: Any = None,
            **kwargs: Any,
        ) -> None:
            judge.judge(case, response, kwargs)

    hypothesis.seed(SEED)(Scenario)
    try:
        Scenario.run(
            settings=hypothesis.settings(
                max_examples=SCENARIOS,
                stateful_step_count=STEPS,
                database=None,
                deadline=None,
                # No shrinking: a scenario replayed against a changed server rarely repeats.
                phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
                suppress_health_check=list(hypothesis.HealthCheck),
            )
        )
    except RequirementFailed:
        raise
    except Exception as error:
        # hypothesis could not replay a scenario (the server changed meanwhile): the verdict
        # is the failure seen first; without one, the steps judged so far stand.
        if judge.first_failure is not None:
            raise judge.first_failure from None
        if isinstance(error, FlakyStrategyDefinition):
            pytest.skip(f"stateful run abandoned by hypothesis: {str(error).splitlines()[0]}")
        raise
