"""The schema suite's own schemathesis checks and the Atom deserializer, registered with
schemathesis on import. They only run the judging of
:mod:`dropship_conformance.checks.schema_bodies` on one answer and raise what it found;
:mod:`dropship_conformance.checks.schema` says which requirement each failure breaks.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.case import Case as GenericCase

from dropship_conformance import openapi
from dropship_conformance.checks import schema_bodies as bodies
from dropship_conformance.checks.primitives import ATOM
from dropship_conformance.checks.schema import FEED_OPERATIONS, RULES, Answer, refusal_rule
from dropship_conformance.feed import rules

Case = GenericCase[Any]


def operation_id(case: Case) -> str:
    return str(case.operation.definition.raw.get("operationId", case.operation.label))


def is_negative(case: Case) -> bool:
    return case.meta is not None and case.meta.generation.mode.is_negative


def broken_path(case: Case) -> bool:
    """The request deliberately breaks a path parameter."""
    return case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH)


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


@schemathesis.check
def atom_feed_conformance(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: Case
) -> bool | None:
    """A 200 answer of the feed operations is an Atom document obeying the feed rules, with
    payloads valid against dropship-events.xsd."""
    operation = operation_id(case)
    if operation not in FEED_OPERATIONS or response.status_code != 200:
        return None
    requested = str((case.path_parameters or {}).get("PageId", ""))
    page = requested if operation == "getNotificationsPage" else ""
    violations = bodies.feed_violations(response.content, page)
    if violations:
        raise FeedRulesBroken(bodies.feed_role(response.content), violations)
    return True


@schemathesis.check
def timestamps_carry_utc_offset(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: Case
) -> bool | None:
    """Orders API date-times of a 2xx JSON answer carry "Z" or "+00:00" (DEV-DATETIME-OFFSET)."""
    if not 200 <= response.status_code < 300 or operation_id(case) in FEED_OPERATIONS:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    missing = bodies.missing_offsets(body)
    if missing:
        raise AssertionError("date-times without a UTC offset: " + ", ".join(missing[:10]))
    return True if any(True for _ in bodies.timestamps(body)) else None


@schemathesis.check
def sent_fields_echoed(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: Case
) -> bool | None:
    """A 2xx answer that echoes a resource holds every field of the request unchanged, and
    the order of the URI (ORD-CRT-001, ORD-ITEM-001, ORD-PROC-001...): status and schema
    alone would pass an answer about another order."""
    operation = operation_id(case)
    if operation not in bodies.ECHOED or not 200 <= response.status_code < 300:
        return None
    if is_negative(case):
        return None
    try:
        answer = response.json()
    except ValueError:
        return None  # response_schema_conformance says so
    uri_order = (case.path_parameters or {}).get("OrderId")
    problems = bodies.echo_problems(
        operation, case.body, None if uri_order is None else str(uri_order), answer
    )
    if problems:
        raise AssertionError("; ".join(problems[:10]))
    return True


def refusal_of(case: Case) -> str | None:
    """The refusal rule of the place a negative case breaks; None for a valid request."""
    if case.meta is None or not case.meta.generation.mode.is_negative:
        return None
    broken = {
        str(location.value)
        for location, info in case.meta.components.items()
        if info.mode.is_negative
    }
    data = case.meta.phase.data

    def path_names() -> set[str]:
        return {str(n) for n in {data.parameter, *(m.parameter for m in data.mutations)} - {None}}

    return refusal_rule(RULES[operation_id(case)], broken, path_names)


def answer_of(case: Case, response: schemathesis.Response) -> Answer:
    """What :mod:`dropship_conformance.checks.schema` judges of one answer."""
    operation = operation_id(case)
    status = response.status_code
    undocumented = openapi.operation(operation).api == "orders" and (
        status == 401 or (status == 404 and broken_path(case))
    )
    return Answer(
        operation, status, response.content, response.json, refusal_of(case), undocumented
    )
