"""The schema suite's judging: which requirement each schemathesis check decides, as a table.

Every generated request's answer is run through the checks of :data:`CHECKS`; a row says
which requirement a failing check breaks and which a passing one really evaluated, for a 2xx
answer and for any other. The operation's own requirements come from :data:`RULES`. Nothing
here knows schemathesis objects: the harness hands over an :class:`Answer` and, per check,
the :class:`Failed` findings (none when the check passed).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dropship_conformance.checks import ids
from dropship_conformance.checks import schema_bodies as bodies
from dropship_conformance.checks.registry import Observation, check, register
from dropship_conformance.feed import rules


@dataclass(frozen=True)
class Rules:
    """The requirements an operation's answers are judged by.

    ``contract``: the answer has a documented status and, when 2xx, the documented body.
    ``media``: a 2xx answer carries the documented Content-Type (and headers).
    ``negative``: a request breaking the schema at this location (header/path/query/body, or
    ``path:<name>`` for one path parameter) is refused with the 4xx the rule names.
    ``stateful``: the contract is about a stored resource the request names (an order, a page).
    Generated requests name made-up resources, and a stateless mock answers them with its
    examples, so a conforming answer here is no evidence: the schema suite can fail such a
    contract but never passes it; the scenario suites, which build the resource, do.
    """

    contract: str
    media: str
    negative: dict[str, str]
    stateful: bool = False


# A broken Authorization header (the security scheme's parameter) is refused under AUTH-001.
_FEED_NEG = {"header": ids.AUTH_001, "path:SupplierId": ids.DS_ERR_001}
_DS_NEG = {**_FEED_NEG, "path": ids.DS_ERR_005, "body": ids.DS_ERR_006}
_ORD_NEG = {
    "header": ids.AUTH_001,
    "path:CompanyId": ids.ORD_ERR_002,
    "path": ids.ORD_ERR_005,
    "query": ids.ORD_FLT_004,
    "body": ids.ORD_ERR_002,
}
_PAGE_NEG = {**_FEED_NEG, "path": ids.DS_ERR_002}
_HTTP = ids.HTTP_001

RULES: dict[str, Rules] = {
    # Supplier Orders API (dropship)
    "getNotifications": Rules(ids.DS_FEED_001, ids.DS_FEED_001, _FEED_NEG),
    "getNotificationsPage": Rules(ids.DS_ARCH_010, ids.DS_ARCH_010, _PAGE_NEG, stateful=True),
    "putOrderStatusUpdate": Rules(ids.DS_UPD_001, _HTTP, _DS_NEG, stateful=True),
    "putItemStatusUpdate": Rules(ids.DS_ITEM_001, _HTTP, _DS_NEG, stateful=True),
    # Orders API
    "createOrder": Rules(ids.ORD_CRT_001, _HTTP, _ORD_NEG),
    "listOrders": Rules(ids.ORD_FLT_001, _HTTP, _ORD_NEG),
    "getOrder": Rules(ids.ORD_UPD_003, _HTTP, _ORD_NEG, stateful=True),
    "updateOrder": Rules(ids.ORD_UPD_001, _HTTP, _ORD_NEG, stateful=True),
    "addItem": Rules(ids.ORD_ITEM_001, _HTTP, _ORD_NEG, stateful=True),
    "listItems": Rules(ids.ORD_ITEM_007, _HTTP, _ORD_NEG, stateful=True),
    "processOrder": Rules(ids.ORD_PROC_001, _HTTP, _ORD_NEG, stateful=True),
    "createOrderFull": Rules(ids.ORD_FULL_001, _HTTP, _ORD_NEG),
    "listOrderFull": Rules(ids.ORD_FULL_003, _HTTP, _ORD_NEG),
    "getOrderFull": Rules(ids.ORD_FULL_002, _HTTP, _ORD_NEG, stateful=True),
    "updateOrderFull": Rules(ids.ORD_FULL_004, _HTTP, _ORD_NEG, stateful=True),
}
FEED_OPERATIONS = ("getNotifications", "getNotificationsPage")

#: The statuses a refusal rule names (any other refusal breaks it); the others name 400 or 404.
#: AUTH-001 takes any 4xx: no error row gives a broken Authorization header's status
#: (DEV-AUTH-STATUS).
REFUSAL_STATUSES: dict[str, frozenset[int]] = {ids.AUTH_001: frozenset(range(400, 500))}
DEFAULT_REFUSAL = frozenset({400, 404})
#: When a request breaks the schema in several places, the server answers the first it meets.
NEGATIVE_PRECEDENCE = ("header", "path", "query", "body")


def refusal_rule(rules_: Rules, broken: set[str], path_names: Callable[[], set[str]]) -> str | None:
    """The refusal rule of the place a negative request breaks first: ``path:<name>`` when a
    broken path parameter (of ``path_names()``) has its own rule, else the location's."""
    location = next((loc for loc in NEGATIVE_PRECEDENCE if loc in broken), "body")
    if location == "path":
        for name in sorted(path_names()):
            if f"path:{name}" in rules_.negative:
                return rules_.negative[f"path:{name}"]
    return rules_.negative.get(location)


# ----- the answer one check judged, and what a failing check reported -----


@dataclass(frozen=True)
class Answer:
    """One answer to a generated request, as the table reads it."""

    operation: str
    status: int
    content: bytes
    read_json: Callable[[], Any] = field(repr=False)
    #: the refusal rule the request's broken part names; None for a valid request
    refusal: str | None = None
    #: an Orders API error 003/004 §Errors do not list (a 401, or a 404 to a broken path):
    #: its media type and body are free (DEV-ORDERS-UNDOCUMENTED-ERRORS), its status is judged
    undocumented_error: bool = False

    @property
    def rules(self) -> Rules:
        return RULES[self.operation]

    @property
    def success(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        """The JSON body, or None when there is none."""
        try:
            return self.read_json()
        except ValueError:
            return None


@dataclass(frozen=True)
class Failed:
    """One failure a check reported: its text, the feed rules it names (atom_feed_conformance)
    and the field names of the path into the body where the schema failed."""

    text: str
    violations: tuple[rules.Violation, ...] = ()
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    requirement_id: str
    check: str
    detail: str


# ----- what each check decides: on a failure (Broken) and on a pass (Held) -----

Broken = Callable[[Answer, Failed], Iterator[tuple[str, str]]]
Held = Callable[[Answer], set[str]]


def _always(requirement_id: str) -> Broken:
    def broken(answer: Answer, failed: Failed) -> Iterator[tuple[str, str]]:
        yield requirement_id, failed.text

    return broken


def _contract(answer: Answer, failed: Failed) -> Iterator[tuple[str, str]]:
    yield answer.rules.contract, failed.text


def _media(answer: Answer, failed: Failed) -> Iterator[tuple[str, str]]:
    yield answer.rules.media, failed.text


def _refusal_or_contract(answer: Answer, failed: Failed) -> Iterator[tuple[str, str]]:
    yield answer.refusal or answer.rules.contract, failed.text


def _refused_as_named(answer: Answer) -> bool:
    named = REFUSAL_STATUSES.get(answer.refusal or "", DEFAULT_REFUSAL)
    return answer.status in named


def _status_breaks(answer: Answer, failed: Failed) -> Iterator[tuple[str, str]]:
    """A refusal with another status than its rule names breaks that rule; one with the named
    status that the operation does not document is the contract's gap."""
    wrong_refusal = answer.refusal is not None and not _refused_as_named(answer)
    yield (answer.refusal if wrong_refusal else answer.rules.contract) or "", failed.text


def _auth_breaks(answer: Answer, failed: Failed) -> Iterator[tuple[str, str]]:
    """Served without a valid token breaks AUTH-001; refused, but not with 401/403, AUTH-005."""
    got = re.search(r"got `(\d{3})", failed.text)
    refused = got is not None and 400 <= int(got.group(1)) < 500
    yield ids.AUTH_005 if refused else ids.AUTH_001, failed.text


def _feed_breaks(answer: Answer, failed: Failed) -> Iterator[tuple[str, str]]:
    """Each feed rule the document breaks; a check that broke without naming one (it could not
    run) is charged as the status check would charge it."""
    for violation in failed.violations:
        yield violation.requirement_id, violation.message
    if not failed.violations:
        yield from _status_breaks(answer, failed)


def _schema_breaks(answer: Answer, failed: Failed) -> Iterator[tuple[str, str]]:
    """A 2xx body off its schema breaks the contract, and the enumeration rule of a field
    that names no documented value."""
    problems = bodies.enumeration_problems(answer.json())
    if failed.fields and failed.fields[-1] in bodies.FIELD_RULES:
        problems.setdefault(bodies.FIELD_RULES[failed.fields[-1]], [])
    for rule, where in problems.items():
        yield rule, "; ".join(where[:5]) or failed.text
    yield answer.rules.contract, failed.text


def _fixed(*requirement_ids: str) -> Held:
    return lambda answer: set(requirement_ids)


def _nothing(answer: Answer) -> set[str]:
    return set()


def _contract_held(answer: Answer) -> set[str]:
    return {answer.rules.contract}


def _media_held(answer: Answer) -> set[str]:
    return {answer.rules.media}


def _client_error_held(answer: Answer) -> set[str]:
    return {ids.HTTP_005} if 400 <= answer.status < 500 else set()


def _refusal_held(answer: Answer) -> set[str]:
    return {answer.refusal} if answer.refusal and _refused_as_named(answer) else set()


def _feed_held(answer: Answer) -> set[str]:
    if answer.operation not in FEED_OPERATIONS or answer.status != 200:
        return set()
    return bodies.feed_rule_ids(answer.content)


def _timestamps_held(answer: Answer) -> set[str]:
    if answer.operation in FEED_OPERATIONS:
        return set()
    return {ids.ORD_CRT_010} if any(True for _ in bodies.timestamps(answer.json())) else set()


def _schema_held(answer: Answer) -> set[str]:
    keys = bodies.json_keys(answer.json())
    return {answer.rules.contract} | {
        bodies.FIELD_RULES[k] for k in keys if k in bodies.FIELD_RULES
    }


def _echo_held(answer: Answer) -> set[str]:
    return {answer.rules.contract} if answer.operation in bodies.ECHOED else set()


@dataclass(frozen=True)
class CheckRow:
    """A schemathesis check and the requirements it decides, for a 2xx answer and otherwise."""

    check: str
    expects: str
    broken_2xx: Broken
    broken_otherwise: Broken
    held_2xx: Held
    held_otherwise: Held
    #: an undocumented error answer (Answer.undocumented_error) decides nothing here
    documented_errors_only: bool = False


#: The checks of the suite, in the order they run. Columns: check, what it expects, the
#: requirement a failure breaks on a 2xx answer / on any other, the requirements a pass
#: evaluated on a 2xx answer / on any other.
# fmt: off
CHECKS: tuple[CheckRow, ...] = (
    CheckRow("not_a_server_error", "no 5xx answer",
             _always(ids.HTTP_005), _always(ids.HTTP_005), _nothing, _client_error_held),
    CheckRow("status_code_conformance", "a status the operation documents",
             _status_breaks, _status_breaks, _contract_held, _nothing),
    CheckRow("content_type_conformance",
             "the Content-Type the operation documents for that status",
             _media, _always(ids.HTTP_001), _media_held, _fixed(ids.HTTP_001),
             documented_errors_only=True),
    CheckRow("response_schema_conformance",
             "a body valid against the documented response schema",
             _schema_breaks, _always(ids.HTTP_003), _schema_held, _nothing,
             documented_errors_only=True),
    CheckRow("response_headers_conformance", "the response headers the operation documents",
             _media, _always(ids.HTTP_001), _nothing, _nothing,
             documented_errors_only=True),
    CheckRow("negative_data_rejection", "a 4xx refusal of a request that breaks the schema",
             _refusal_or_contract, _refusal_or_contract, _refusal_held, _refusal_held),
    CheckRow("ignored_auth", "401 for the same request without a token and with an invalid one",
             _auth_breaks, _auth_breaks, _fixed(ids.AUTH_001), _fixed(ids.AUTH_001)),
    CheckRow("atom_feed_conformance", "an Atom feed document obeying the feed rules",
             _feed_breaks, _feed_breaks, _feed_held, _feed_held),
    CheckRow("timestamps_carry_utc_offset",
             "CreatedDateUtc and OrderExpiryDate with Z or +hh:mm",
             _always(ids.ORD_CRT_010), _always(ids.ORD_CRT_010), _timestamps_held, _nothing),
    CheckRow("sent_fields_echoed",
             "the answer holds every field sent, by value, and the URI's OrderId",
             _contract, _contract, _echo_held, _nothing),
)
# fmt: on
ROWS = {row.check: row for row in CHECKS}


def findings(row: CheckRow, answer: Answer, failures: Sequence[Failed]) -> list[Finding]:
    """The requirements ``failures`` of ``row``'s check break on ``answer``."""
    if row.documented_errors_only and not answer.success and answer.undocumented_error:
        return []
    broken = row.broken_2xx if answer.success else row.broken_otherwise
    return [Finding(rid, row.check, detail) for f in failures for rid, detail in broken(answer, f)]


def held(row: CheckRow, answer: Answer) -> set[str]:
    """The requirements ``row``'s check, passing on ``answer``, really evaluated; a stateful
    operation's contract never passes here (see :class:`Rules`)."""
    if row.documented_errors_only and not answer.success and answer.undocumented_error:
        return set()
    found = (row.held_2xx if answer.success else row.held_otherwise)(answer)
    return found - {answer.rules.contract} if answer.rules.stateful else found


def judge_answer(
    answer: Answer, outcomes: Mapping[str, Sequence[Failed]]
) -> tuple[set[str], list[Finding]]:
    """The requirements that held and the findings, from each check that ran (``outcomes``:
    check name -> its failures, empty when it passed)."""
    passed: set[str] = set()
    found: list[Finding] = []
    for row in CHECKS:
        if row.check not in outcomes:
            continue
        failures = outcomes[row.check]
        if failures:
            found += findings(row, answer, failures)
        else:
            passed |= held(row, answer)
    return passed - {f.requirement_id for f in found}, found


def _decided() -> tuple[str, ...]:
    """Every requirement the table can decide (the feed rules are registered by feed.rules)."""
    by_operation = {r for rules_ in RULES.values() for r in (rules_.contract, rules_.media)}
    negative = {r for rules_ in RULES.values() for r in rules_.negative.values()}
    fixed = {ids.HTTP_001, ids.HTTP_003, ids.HTTP_005, ids.AUTH_001, ids.AUTH_005}
    fixed |= {ids.ORD_CRT_010, ids.ORD_ENUM_005, ids.DS_ERR_002}
    found = by_operation | negative | fixed | set(bodies.FIELD_RULES.values())
    return tuple(sorted(found | set(bodies.PAYLOAD_RULES.values())))


register(_decided(), judge_answer)


# ----- the two requirements the suite judges by its own requests -----


@check(ids.HTTP_004)
def served_under_v1(base_urls: list[str], answers: list[tuple[str, int]]) -> Observation:
    """Both base URLs end in /v1 and the documented paths answer below them (DEV-BASE-V1)."""
    return Observation(
        all(url.rstrip("/").endswith("/v1") for url in base_urls)
        and all(status == 200 for _, status in answers),
        expected="base URLs ending in /v1, a documented GET below each answering 200",
        found=f"base URLs {base_urls}; "
        + "; ".join(f"GET {url} -> {status}" for url, status in answers),
    )


@check(ids.HTTP_002)
def media_types_compared_as_http_defines(problems: list[str]) -> Observation:
    """Media types are case-insensitive and their parameters ignored (RFC 9110)."""
    return Observation(
        not problems,
        expected="201 for both spellings of application/json; 200 atom for the Accept variant",
        found="; ".join(problems) or "-",
    )
