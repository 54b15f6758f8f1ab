"""Hypothesis tests of the schema suite built from schemathesis's public API: one test per
operation (what ``schemathesis.pytest.from_fixture`` generates, without renaming pytest's
nodes), and the stateful run along the OpenAPI links.

An operation's test draws as schemathesis's own pytest integration does: the documents'
examples first, then cases in every configured generation mode, under the schema's
hypothesis settings and the run's seed mixed with the operation (so a verdict is
reproducible operation by operation). Hypothesis also draws string and number constants
from the project's own modules, so changing a literal anywhere in the package may change
the cases drawn, though never how an answer is judged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import hypothesis
import schemathesis
from hypothesis import strategies as st
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis.generation import derive_operation_seed
from schemathesis.specs.openapi.schemas import OpenApiSchema

from dropship_conformance.errors import SetupImpossible
from dropship_conformance.harness.schemathesis_judge import Judge
from dropship_conformance.harness.schemathesis_schema import SCENARIOS, SEED, STEPS, Case
from dropship_conformance.verdicts import RequirementFailed

#: How one example of a document is drawn: once, quietly, whatever hypothesis thinks of it.
_ONE_DRAW = hypothesis.settings(
    database=None,
    max_examples=1,
    deadline=None,
    verbosity=hypothesis.Verbosity.quiet,
    phases=(hypothesis.Phase.generate,),
    suppress_health_check=list(hypothesis.HealthCheck),
)


def _drawn_once(strategy: st.SearchStrategy[Case]) -> Case:
    drawn: list[Case] = []

    @hypothesis.given(strategy)
    @_ONE_DRAW
    def draw(case: Case) -> None:
        drawn.append(case)

    draw()
    return drawn[0]


def operation_test(
    schema: OpenApiSchema, operation_id: str, run: Callable[[Case], None]
) -> Callable[[], None]:
    """The hypothesis test of ``operation_id``: ``run`` gets every generated case."""
    # A schema of its own, as schemathesis's pytest integration gives each test: the session's
    # schema keeps the operations (and what they cache) of the stateful run to itself.
    own = cast(OpenApiSchema, schema.include(operation_id=operation_id))
    operation = own.find_operation_by_id(operation_id)
    config = schema.config
    # The schema's configured parameters (the identities under test) are not generated.
    fixed = {
        parameter.name: config.parameters[f"path.{parameter.name}"]
        for parameter in operation.path_parameters
        if f"path.{parameter.name}" in config.parameters
    }
    kwargs: dict[str, Any] = {"path_parameters": fixed} if fixed else {}
    modes = config.generation_for(operation=operation, phase="fuzzing").modes
    cases = st.one_of([operation.as_strategy(generation_mode=m, **kwargs) for m in modes])

    def test(case: Case) -> None:
        __tracebackhide__ = True
        run(case)

    built = hypothesis.given(case=cases)(test)
    for strategy in operation.get_strategies_from_examples(**kwargs):
        built = hypothesis.example(case=_drawn_once(strategy))(built)
    settings = config.get_hypothesis_settings(operation=operation, phase="fuzzing")
    quiet = hypothesis.Verbosity.quiet
    built = hypothesis.settings(settings, database=None, deadline=None, verbosity=quiet)(built)
    seeded: Callable[[], None] = hypothesis.seed(derive_operation_seed(SEED, operation.label))(
        built
    )
    return seeded


def run_links(schema: OpenApiSchema, judge: Judge) -> None:
    """Scenarios along the schema's OpenAPI links, every step judged by ``judge``."""
    base = schema.as_state_machine()

    class Scenario(base):  # type: ignore[misc, valid-type]
        def before_call(self, case: Case) -> None:
            judge.pin_identities(case)
            judge.business_identities(case)

        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return {"headers": Judge.accept(case)}

        def call(self, case: Case, **kwargs: Any) -> schemathesis.Response:
            return judge.call(case, **kwargs)

        def validate_response(
            self,
            response: schemathesis.Response,
            case: Case,
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
            reason = str(error).splitlines()[0]
            raise SetupImpossible(f"stateful run abandoned by hypothesis: {reason}") from None
        raise
