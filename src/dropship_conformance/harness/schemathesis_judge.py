"""Runs the schema suite's checks on each answer and records the verdicts the table of
:mod:`dropship_conformance.checks.schema` gives, the way hypothesis needs them recorded."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import schemathesis
from hypothesis.control import current_build_context
from schemathesis.checks import CHECKS as SCHEMATHESIS_CHECKS
from schemathesis.checks import load_all_checks
from schemathesis.core.failures import Failure, FailureGroup

from dropship_conformance.catalogue import requirement
from dropship_conformance.checks.primitives import ATOM, JSON
from dropship_conformance.checks.schema import (
    CHECKS,
    FEED_OPERATIONS,
    ROWS,
    Failed,
    Finding,
    judge_answer,
)
from dropship_conformance.client import TargetError
from dropship_conformance.harness.schemathesis_checks import (
    FeedRulesBroken,
    answer_of,
    broken_path,
    is_negative,
    operation_id,
)
from dropship_conformance.harness.schemathesis_schema import SEED, Case, bearer_header
from dropship_conformance.harness.target import Target
from dropship_conformance.verdicts import Check, Expect, RequirementFailed

load_all_checks()  # the built-in OpenAPI checks, by name, for get_one


def _in_final_replay() -> bool:
    """True while hypothesis replays the minimal failing example it will report."""
    try:
        return bool(current_build_context().is_final)
    except Exception:  # outside a hypothesis test: every call is final
        return True


def _failed(failure: Failure) -> Failed:
    """What the table needs of a schemathesis failure."""
    text = " ".join(f"{failure.title}: {failure.message}".strip().split())[:1500]
    exception = getattr(failure, "exception", None)
    violations = exception.violations if isinstance(exception, FeedRulesBroken) else []
    path = list(getattr(failure, "instance_path", None) or [])
    fields = tuple(part for part in path if isinstance(part, str))
    return Failed(text, tuple(violations), fields)


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

    def business_identities(self, case: Case) -> None:
        """Valid-by-schema order bodies get the target's identities: with a random location,
        billing customer or employee every create/update would only meet ORD-ERR-003 or
        ORD-CRT-007/009, and no order would ever exist to follow the links from."""
        if is_negative(case) or not isinstance(case.body, dict) or "EntityId" not in case.body:
            return
        settings = self.target.settings
        case.body["EntityId"] = settings.location_id
        case.body["BillingCustomerId"] = settings.billing_customer_id
        for name in ("EmployeeId", "ShippingEntityId"):
            case.body.pop(name, None)

    def pin_identities(self, case: Case) -> None:
        """For stateful steps, whose generation does not apply the schema's parameters: the
        run's CompanyId, unless the step deliberately breaks the path."""
        if "CompanyId" in (case.path_parameters or {}) and not broken_path(case):
            case.path_parameters["CompanyId"] = self.target.settings.company_id

    @staticmethod
    def accept(case: Case) -> dict[str, str]:
        """The Accept header the documents prescribe (DS-CLI-014)."""
        return {"Accept": ATOM if operation_id(case) in FEED_OPERATIONS else JSON}

    def bearer(self) -> dict[str, str]:
        return {"Authorization": bearer_header(self.target.settings.token)}

    def call(self, case: Case, **kwargs: Any) -> schemathesis.Response:
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
        case: Case,
        response: schemathesis.Response,
        transport_kwargs: dict[str, Any] | None = None,
    ) -> None:
        """Run every check on one answer; record passes and findings; raise on a MUST failure."""
        __tracebackhide__ = True
        operation = operation_id(case)
        kwargs = dict(transport_kwargs or {})
        kwargs.setdefault("headers", self.accept(case))
        # The token is the run's own (explicit auth), which is what ignored_auth needs to know.
        headers = {**kwargs["headers"], **self.bearer()}
        # ignored_auth probes a valid request's 2xx; one proof per operation is enough.
        probe_auth = not (
            operation in self.auth_confirmed
            or is_negative(case)
            or not 200 <= response.status_code < 300
        )
        outcomes = {
            row.check: self._run(row.check, case, response, headers, kwargs)
            for row in CHECKS
            if row.check != "ignored_auth" or probe_auth
        }
        if probe_auth and not outcomes["ignored_auth"]:
            self.auth_confirmed.add(operation)
        passed, findings = judge_answer(answer_of(case, response), outcomes)
        for requirement_id in sorted(passed):
            self._record_pass(case, requirement_id)
        self._record_findings(case, response, findings)

    @staticmethod
    def _run(
        name: str,
        case: Case,
        response: schemathesis.Response,
        headers: dict[str, str],
        kwargs: dict[str, Any],
    ) -> list[Failed]:
        try:
            case.validate_response(
                response,
                checks=[cast(schemathesis.CheckFunction, SCHEMATHESIS_CHECKS.get_one(name))],
                headers=headers,
                transport_kwargs=kwargs,
            )
        except FailureGroup as group:
            return [_failed(failure) for failure in group.exceptions]
        return []

    def _record_pass(self, case: Case, requirement_id: str) -> None:
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
        self, case: Case, response: schemathesis.Response, findings: list[Finding]
    ) -> None:
        __tracebackhide__ = True
        final = _in_final_replay()
        must_failed: tuple[str, str] | None = None
        for finding in findings:
            key = (case.operation.label, finding.requirement_id, finding.check)
            earlier = self.failures.get(key)
            expected = f"{finding.check}: {ROWS[finding.check].expects}"
            found = self._found(case, response, finding)
            if not requirement(finding.requirement_id).is_must:
                if key not in self.recorded:  # SHOULD: one warning per operation and rule
                    self.recorded.add(key)
                    self.expect.that(finding.requirement_id, False, expected=expected, found=found)
                continue
            if earlier is not None and not final:
                must_failed = must_failed or (finding.requirement_id, earlier.message)
                continue
            try:
                self.expect.that(finding.requirement_id, False, expected=expected, found=found)
            except RequirementFailed as failed:
                if earlier is not None:  # the minimal example replaces the first one seen
                    self.expect.checks.remove(earlier)
                self.failures[key] = self.expect.checks[-1]
                self.first_failure = self.first_failure or failed
                must_failed = must_failed or (finding.requirement_id, str(failed))
        if must_failed is not None:
            # Always raised here, so hypothesis sees one failure however it was first recorded.
            raise RequirementFailed(*must_failed)

    def _found(self, case: Case, response: schemathesis.Response, finding: Finding) -> str:
        request = response.request
        media = (response.headers.get("content-type") or ["(none)"])[0]
        body = response.content[:300].decode("utf-8", errors="replace")
        mode = "negative" if is_negative(case) else "positive"
        text = (
            f"{request.method} {request.url} ({mode} example, seed {SEED}) -> "
            f"{response.status_code} {media}: {finding.detail}"
        )
        if body and finding.check != "atom_feed_conformance":
            text += f"\n  body: {body}"
        return self.target.recorder.redact(text)
