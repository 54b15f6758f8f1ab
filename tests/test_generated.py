"""The runner of scenarios over generated shapes (harness/generated.py), without a target.

A shape here is a number of items; the scenario fails a MUST when it is at least ``breaks``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import strategies as st

from dropship_conformance.checks import ids
from dropship_conformance.client.exchange import Recorder
from dropship_conformance.errors import SetupImpossible
from dropship_conformance.harness import generated
from dropship_conformance.harness.shapes import count
from dropship_conformance.verdicts import Expect, RequirementFailed, Verdict

RICHEST = 12


@dataclass
class Scenario:
    """Fails DS-EVT-006 from ``breaks`` items on (``only`` of them: that many exactly)."""

    recorder: Recorder
    breaks: int | None = None
    only: int | None = None
    ran: list[int] = field(default_factory=list)

    def __call__(self, expect: Expect, items: int) -> None:
        self.ran.append(items)
        self.recorder.record(
            method="POST",
            url=f"http://target/Orders?items={items}",
            request_headers={"Authorization": "Bearer secret-token"},
            request_body=b'{"Items": %d, "Note": "secret-token"}' % items,
            status=201,
            response_headers=(),
            response_body=b"",
            elapsed_ms=1.0,
        )
        broken = (self.breaks is not None and items >= self.breaks) or items == self.only
        expect.that(ids.DS_EVT_006, not broken, expected="fed as sent", found=f"{items} items")


def target(examples: int = 3, seed: int = 16, depth: str = "quick") -> Any:
    settings = SimpleNamespace(
        examples=examples, generated_examples=examples, seed=seed, depth=depth
    )
    return SimpleNamespace(settings=settings, recorder=Recorder(secrets=("secret-token",)))


def items(rich_first: bool) -> st.SearchStrategy[int]:
    return count(1, RICHEST, rich_first=rich_first)


def test_a_failure_is_shrunk_to_the_smallest_shape_with_its_requests() -> None:
    run = target()
    scenario = Scenario(run.recorder, breaks=3)
    expect = Expect()
    with pytest.raises(RequirementFailed) as failure:
        generated.over_shapes(run, expect, "test", items, scenario)
    message = str(failure.value)
    assert "the smallest failing shape found: 3" in message
    assert "1. POST http://target/Orders?items=3" in message
    assert scenario.ran[0] == RICHEST
    budget = generated.SHRINK_RUNS["quick"]
    assert len(scenario.ran) <= 1 + run.settings.examples + 2 * budget
    failed = [c for c in expect.checks if c.verdict is Verdict.FAILED]
    assert [c.requirement_id for c in failed] == [ids.DS_EVT_006]
    assert "items=3" in failed[0].message


def test_a_failure_only_the_richest_shape_shows_is_named_so() -> None:
    run = target()
    with pytest.raises(RequirementFailed, match="the richest shape"):
        generated.over_shapes(run, Expect(), "test", items, Scenario(run.recorder, only=RICHEST))


def test_a_failure_of_another_requirement_is_not_lost() -> None:
    """The richest shape fails one rule, smaller shapes another: both are failed."""
    run = target()

    def scenario(expect: Expect, items: int) -> None:
        expect.record(ids.DS_TRK_001, items != RICHEST, expected="fed as sent", found="cut")
        Scenario(run.recorder, breaks=3)(expect, items)

    expect = Expect()
    with pytest.raises(RequirementFailed):
        generated.over_shapes(run, expect, "test", items, scenario)
    failed = {c.requirement_id: c.message for c in expect.checks if c.verdict is Verdict.FAILED}
    assert set(failed) == {ids.DS_EVT_006, ids.DS_TRK_001}
    assert "the richest failing shape, on other requirements: 12" in failed[ids.DS_TRK_001]


def test_passes_of_every_shape_are_carried_and_nothing_fails() -> None:
    run = target()
    scenario = Scenario(run.recorder)
    expect = Expect()
    generated.over_shapes(run, expect, "test", items, scenario)
    assert len(scenario.ran) == 1 + run.settings.examples
    assert expect.verdicts() == {ids.DS_EVT_006: Verdict.PASSED}


def test_the_same_seed_runs_the_same_shapes() -> None:
    ran = []
    for _ in range(2):
        run = target(examples=5, seed=7)
        scenario = Scenario(run.recorder)
        generated.over_shapes(run, Expect(), "test", items, scenario)
        ran.append(scenario.ran)
    assert ran[0] == ran[1]


def test_no_shape_built_is_not_checked() -> None:
    def impossible(expect: Expect, items: int) -> None:
        raise SetupImpossible("the target refused the order")

    with pytest.raises(SetupImpossible, match="refused the order"):
        generated.over_shapes(target(), Expect(), "test", items, impossible)


def test_a_replay_never_shows_the_token() -> None:
    run = target()
    with pytest.raises(RequirementFailed) as failure:
        generated.over_shapes(run, Expect(), "test", items, Scenario(run.recorder, breaks=1))
    assert "secret-token" not in str(failure.value)
